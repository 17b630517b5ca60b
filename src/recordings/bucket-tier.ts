// The recordings that live in a bucket (see bucket.ts): how the store finds, reads, edits and deletes them. A
// recording is filed in the local tree first (the same crash-safe protocol as without a bucket) and then moved:
// sidecar and notes uploaded, the audio last (the commit point, as in the tree), then the local files removed,
// audio first. A recording in both places is the local one until the move finishes; moving again is harmless.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hasContainerMagic, verifyFile } from '../platform/crypto/index.js';
import type { FileVerification, Keyring, PositionalFile } from '../platform/crypto/index.js';
import { instantOf, tempPathIn } from '../platform/util/index.js';
import { RECORDING_FORMATS } from '../domain/index.js';
import type { RecordingFormat } from '../domain/index.js';
import { RecordingBucket } from './bucket.js';
import { groupCallFiles, parseRecordingName } from './naming.js';
import type { CallFileGroup, ParsedRecordingName } from './naming.js';
import { decodeSidecar } from './sidecar.js';
import type { RecordingSidecar } from './sidecar.js';
import type { StoredRecording } from './store.js';

/** A month's objects of one call, grouped as the store groups files; each audio object with its size. */
export type BucketGroup = CallFileGroup<number>;

export class BucketTier {
  constructor(
    readonly bucket: RecordingBucket,
    private readonly timeZone: string,
    private readonly scratchRoot: string,
  ) {}

  /** Whether an audio object is a sealed container (its first bytes). */
  async #encrypted(month: string, file: string, size: number): Promise<boolean> {
    if (size === 0) return false;
    return hasContainerMagic(await this.bucket.getRange(month, file, 0, Math.min(size, 8) - 1));
  }

  async #entry(parsed: ParsedRecordingName, size: number, hasXml: boolean, hasTxt: boolean): Promise<StoredRecording> {
    const { month, baseName } = parsed;
    const file = `${baseName}.${parsed.extension}`;
    return {
      name: baseName,
      month,
      format: parsed.extension as RecordingFormat,
      location: 'bucket',
      audioPath: this.bucket.urlOf(month, file),
      ...(hasXml ? { xmlPath: this.bucket.urlOf(month, `${baseName}.xml`) } : {}),
      ...(hasTxt ? { notesPath: this.bucket.urlOf(month, `${baseName}.txt`) } : {}),
      parsed,
      start: instantOf(parsed.local, this.timeZone),
      bytes: size,
      encrypted: await this.#encrypted(month, file, size),
    };
  }

  /** The recording of this name in the bucket (every format looked for), or undefined. */
  async find(parsed: ParsedRecordingName): Promise<StoredRecording[]> {
    const { month, baseName } = parsed;
    const [xml, txt, ...audio] = await Promise.all([
      this.bucket.head(month, `${baseName}.xml`),
      this.bucket.head(month, `${baseName}.txt`),
      ...RECORDING_FORMATS.map((format) => this.bucket.head(month, `${baseName}.${format}`)),
    ]);
    const found: StoredRecording[] = [];
    for (const object of audio) {
      if (object) found.push(await this.#entry(parseRecordingName(object.file), object.size, xml !== undefined, txt !== undefined));
    }
    return found;
  }

  /** A month's objects, grouped by call id field. */
  async groups(month: string): Promise<Map<string, BucketGroup>> {
    return groupCallFiles(month, (await this.bucket.list(month)).map((object) => [object.file, object.size] as const));
  }

  /** Entries of a month's audio objects, in name order. */
  async *entries(month: string, skip: (file: string) => boolean): AsyncGenerator<StoredRecording> {
    const groups = await this.groups(month);
    const audio: Array<[string, number, BucketGroup]> = [];
    for (const group of groups.values()) for (const [file, size] of group.audio) if (!skip(file)) audio.push([file, size, group]);
    audio.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [file, size, group] of audio) {
      const parsed = parseRecordingName(file);
      yield await this.#entry(parsed, size, group.xml.has(parsed.baseName), group.txt.has(parsed.baseName));
    }
  }

  /** The sidecar, decoded; undefined without one. */
  async readSidecar(entry: StoredRecording, keyring: Keyring | undefined): Promise<{ sidecar: RecordingSidecar; encrypted: boolean } | undefined> {
    const bytes = await this.bucket.getBytes(entry.month, `${entry.name}.xml`);
    return bytes ? decodeSidecar(bytes, keyring, this.bucket.urlOf(entry.month, `${entry.name}.xml`)) : undefined;
  }

  async readNotes(entry: StoredRecording): Promise<string> {
    return (await this.bucket.getBytes(entry.month, `${entry.name}.txt`))?.toString('utf8') ?? '';
  }

  /** The audio for reads at any position. */
  openAudio(entry: StoredRecording): { file: PositionalFile; path: string } {
    return { file: this.bucket.openObject(entry.month, `${entry.name}.${entry.format}`, entry.bytes), path: entry.audioPath };
  }

  /**
   * The recording's audio (and sidecar, which carries the signature) as local files for work that reads a file
   * whole (verification, decoding a kept capture); `release` removes them.
   */
  async localCopy(entry: StoredRecording): Promise<{ audioPath: string; release: () => Promise<void> }> {
    // A temporary name of this process: recover() removes it if the process dies before release.
    const dir = tempPathIn(this.scratchRoot, '-bucket');
    await mkdir(dir, { mode: 0o700 });
    try {
      const audioPath = join(dir, `${entry.name}.${entry.format}`);
      await this.bucket.download(entry.month, `${entry.name}.${entry.format}`, audioPath);
      if (entry.xmlPath) await this.bucket.download(entry.month, `${entry.name}.xml`, join(dir, `${entry.name}.xml`));
      return { audioPath, release: () => rm(dir, { recursive: true, force: true }) };
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  async verify(entry: StoredRecording, keyring: Keyring): Promise<FileVerification> {
    const copy = await this.localCopy(entry);
    try {
      return await verifyFile(copy.audioPath, keyring);
    } finally {
      await copy.release();
    }
  }

  /** Delete a recording: sidecar and notes first, the audio last (a crash leaves no half recording). */
  remove(entry: StoredRecording): Promise<void> {
    return this.removeFiles(entry.month, entry.name, entry.format);
  }

  async removeFiles(month: string, baseName: string, format: RecordingFormat): Promise<void> {
    await this.bucket.remove(month, `${baseName}.xml`);
    await this.bucket.remove(month, `${baseName}.txt`);
    await this.bucket.remove(month, `${baseName}.${format}`);
  }
}

