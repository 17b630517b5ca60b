// The recording store: ROOT/YYYY_MM/<name>.<wav|mp3|opus|pcap> + <name>.xml (+ <name>.txt notes), an optional backup
// tree with the same layout. (ROOT/_quarantine, for files that could not be processed: quarantine.ts.)
//
// Crash safety: everything is written under a temporary name (TEMP_PREFIX), fsynced, then renamed. The sidecar
// is renamed first and the audio last, so "the audio file exists" is the commit point of a filing: a recording
// is filed exactly when an audio file with its call id is in its month folder. Filing the same call again finds
// that file and changes nothing (idempotent), so the service can always re-run a step after a crash.
import { lstat, mkdir, open, readFile, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DataKeyVault, HEADER_BYTES, Keyring, containerKeyIdIn, containerKeyIdOf, digestFile, encryptFile, isEncryptedFile, resealFile, verifyFile } from '../platform/crypto/index.js';
import { StoreError } from './errors.js';
import { QUARANTINE_DIR } from './quarantine.js';
import {
  copyFileDurable,
  errnoOf,
  exists,
  fsyncDir,
  isAbandonedTemp,
  linkOrCopy,
  tempPathIn,
  writeFileDurable,
  writeNewFile,
  TEMP_PREFIX,
  Serial,
} from '../platform/util/index.js';
import { renameNoReplace } from './fs-util.js';
import {
  callIdField,
  groupCallFiles,
  isValidTan,
  monthFolderOf,
  parseRecordingName,
  recordingBaseName,
  withTan,
} from './naming.js';
import { AUDIO_MIXES, RECORDING_FORMATS } from '../domain/index.js';
import type { AudioMix, RecordingFormat } from '../domain/index.js';
import type { CallFileGroup, ParsedRecordingName } from './naming.js';
import { checkTimeZone, instantOf } from '../platform/util/index.js';
import { RetentionCutoffs } from './retention.js';
import type { RetentionPlan } from './retention.js';
import type { TimeZoneSetting } from '../platform/util/index.js';
import { encodeSidecar, readSidecarFile, signSidecar } from './sidecar.js';
import { BucketError } from './bucket.js';
import type { RecordingBucket } from './bucket.js';
import { BucketTier } from './bucket-tier.js';
import type { FileVerification, PositionalFile } from '../platform/crypto/index.js';
import type { RecordingMeta, RecordingSidecar } from './sidecar.js';

const MONTH_DIR = /^\d{4}_\d{2}$/;
const SMALL_FILE = 1024 * 1024;

/** Integrity of a stored recording as last checked. */
export type IntegrityState = 'intact' | 'tampered' | 'unknown-key' | 'unchecked';

export interface RecordingStoreOptions {
  readonly root: string;
  readonly backupRoot?: string;
  /** Zone of the times in names and month folders: 'local' (default), 'utc' or an IANA zone name. */
  readonly timeZone?: TimeZoneSetting;
  /** Keys for signing and encryption; new files use the current key (or `keyId`). */
  readonly keyring?: Keyring;
  readonly keyId?: string;
  /**
   * A data key vault (folder): each recording filed is sealed under a key of its own, wrapped there by the system
   * key, so that erasing the recording can destroy its key (crypto-shredding). Without it: the system key.
   */
  readonly dataKeysDir?: string;
  /** Encrypt the audio in the container (default: true when a keyring is given). */
  readonly encryptAudio?: boolean;
  /** Encrypt the XML sidecar in the container (default: true when a keyring is given). */
  readonly encryptSidecar?: boolean;
  /** An S3-compatible bucket the recordings move to once filed here (moveToBucket); the tree keeps the rest. */
  readonly bucket?: RecordingBucket;
}

/** One recording on disk. */
export interface StoredRecording {
  /** Base name (no extension). */
  readonly name: string;
  /** Month folder YYYY_MM. */
  readonly month: string;
  readonly format: RecordingFormat;
  /** 'bucket': the files are objects in the store's bucket, and the paths are their s3:// addresses. */
  readonly location?: 'bucket';
  readonly audioPath: string;
  readonly xmlPath?: string;
  readonly notesPath?: string;
  readonly parsed: ParsedRecordingName;
  /** Start as written in the name, as an instant (minute precision) in the store's zone. */
  readonly start: Date;
  /** Size of the audio file on disk. */
  readonly bytes: number;
  /** Whether the audio file is an encrypted container. */
  readonly encrypted: boolean;
}

export type BackupOutcome = { readonly status: 'none' } | { readonly status: 'copied' } | { readonly status: 'failed'; readonly error: string };

export interface FiledRecording extends StoredRecording {
  /** True when this call was already filed (nothing was written; the input was consumed). */
  readonly alreadyFiled: boolean;
  /** The sidecar as written; undefined only when an already-filed recording's sidecar cannot be read. */
  readonly sidecar?: RecordingSidecar;
  readonly backup: BackupOutcome;
}

export interface FileInput {
  readonly meta: RecordingMeta;
  /** A finished file (e.g. in the work dir) with the audio; consumed (removed) once the recording is filed. */
  readonly audioPath: string;
  readonly format: RecordingFormat;
  readonly mix?: AudioMix;
  readonly codec?: string;
  readonly durationMs?: number;
  /** CDR XML fragments from the reporting, kept verbatim in the sidecar. */
  readonly cdrXml?: readonly string[];
}

export interface RetentionResult {
  /** Base names of the recordings deleted. */
  readonly removed: string[];
  /** Month folders removed because they became empty. */
  readonly removedFolders: string[];
  /** No recording in a later month folder than this (YYYY_MM) had expired. */
  readonly cutoffMonth: string;
  /** The policy each removed recording expired under. */
  readonly policyOf: Readonly<Record<string, string>>;
  /** Recordings whose time was over but a legal hold kept, with the policy and the hold. */
  readonly held: ReadonlyArray<{ readonly name: string; readonly policy: string; readonly hold: string }>;
  /** Recordings in the bucket it refused to delete (e.g. still under object lock), with the reason: tried again next time. */
  readonly failed: string[];
}

export interface RecoveryReport {
  /** Temporary files left by an interrupted write, removed. */
  readonly removedTemp: string[];
  /** Sidecars without audio (an interrupted filing, TAN change or deletion), removed. */
  readonly removedOrphans: string[];
  /** Notes files renamed to follow their recording (an interrupted TAN change). */
  readonly renamedNotes: string[];
}

/** A call's files in a month folder (audio file names, and base names with sidecar or notes). */
type CallGroup = CallFileGroup<undefined>;

function isNotFound(error: unknown): boolean {
  return errnoOf(error) === 'ENOENT';
}

/** An audio file the sidecar does not name is left alone this long (a replacement in progress elsewhere). */
const REPLACEMENT_SETTLED_MS = 15 * 60 * 1000;


export class RecordingStore {
  readonly root: string;
  readonly backupRoot: string | undefined;
  readonly timeZone: string;
  readonly keyring: Keyring | undefined;
  readonly encryptAudio: boolean;
  readonly encryptSidecar: boolean;
  /** Per-recording data keys, when configured (and there are keys). */
  readonly dataKeys: DataKeyVault | undefined;
  /** Changes within this process one at a time (name checks and renames must not interleave). */
  readonly #serial = new Serial();
  /** The recordings moved to the bucket, when one is configured. */
  readonly #tier: BucketTier | undefined;

  constructor(options: RecordingStoreOptions) {
    this.root = options.root;
    this.backupRoot = options.backupRoot;
    this.timeZone = checkTimeZone(options.timeZone ?? 'local');
    // An empty keyring can open nothing and sign nothing: the same as none.
    const keyring = options.keyring && options.keyring.size > 0 ? options.keyring : undefined;
    const masters = keyring && options.keyId !== undefined ? keyring.withCurrent(options.keyId) : keyring;
    this.dataKeys = masters && options.dataKeysDir !== undefined ? new DataKeyVault(options.dataKeysDir, masters) : undefined;
    // Every reader of this store's files opens data-key-sealed ones through this keyring.
    this.keyring = this.dataKeys ? this.dataKeys.keyring() : masters;
    this.encryptAudio = this.keyring !== undefined && (options.encryptAudio ?? true);
    this.encryptSidecar = this.keyring !== undefined && (options.encryptSidecar ?? true);
    this.#tier = options.bucket ? new BucketTier(options.bucket, this.timeZone, this.root) : undefined;
  }

  /** The bucket recordings move to, if any. */
  get bucket(): RecordingBucket | undefined {
    return this.#tier?.bucket;
  }

  /** Create the root (and backup root) and clean up after a crash. */
  static async open(options: RecordingStoreOptions): Promise<RecordingStore> {
    const store = new RecordingStore(options);
    await mkdir(store.root, { recursive: true, mode: 0o700 });
    if (store.backupRoot) await mkdir(store.backupRoot, { recursive: true }).catch(() => undefined); // backup may be offline
    await store.recover();
    return store;
  }

  #monthDir(month: string): string {
    return join(this.root, month);
  }

  async #listDir(dir: string): Promise<string[]> {
    try {
      return await readdir(dir);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  /** Files of one month folder grouped by call id field. */
  async #groups(month: string): Promise<Map<string, CallGroup>> {
    const files = (await this.#listDir(this.#monthDir(month))).filter((file) => !file.startsWith(TEMP_PREFIX));
    return groupCallFiles(month, files.map((file) => [file, undefined] as const));
  }

  async #entry(month: string, audioFile: string, group: CallGroup | undefined): Promise<StoredRecording> {
    const parsed = parseRecordingName(audioFile);
    const dir = this.#monthDir(month);
    const audioPath = join(dir, audioFile);
    const info = await stat(audioPath);
    const hasXml = group ? group.xml.has(parsed.baseName) : await exists(join(dir, `${parsed.baseName}.xml`));
    const hasTxt = group ? group.txt.has(parsed.baseName) : await exists(join(dir, `${parsed.baseName}.txt`));
    return {
      name: parsed.baseName,
      month,
      format: parsed.extension as RecordingFormat,
      audioPath,
      ...(hasXml ? { xmlPath: join(dir, `${parsed.baseName}.xml`) } : {}),
      ...(hasTxt ? { notesPath: join(dir, `${parsed.baseName}.txt`) } : {}),
      parsed,
      start: instantOf(parsed.local, this.timeZone),
      bytes: info.size,
      encrypted: await isEncryptedFile(audioPath),
    };
  }

  /** The recording with this name (base name or any of its file names); StoreError 'not-found' when absent. */
  async get(name: string): Promise<StoredRecording> {
    const parsed = parseRecordingName(name);
    const dir = this.#monthDir(parsed.month);
    // The name says where its files are: a few stats, not a listing of a month folder of thousands.
    const found: StoredRecording[] = [];
    for (const format of RECORDING_FORMATS) {
      const audioFile = `${parsed.baseName}.${format}`;
      try {
        found.push(await this.#entry(parsed.month, audioFile, undefined));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    // Not here: moved to the bucket (a recording in both places is the local one until its move finishes).
    if (found.length === 0 && this.#tier) found.push(...(await this.#tier.find(parsed)));
    if (found.length === 0) throw new StoreError('not-found', `${parsed.baseName}: no such recording in ${dir}${this.#tier ? ` or ${this.#tier.bucket.where}` : ''}`);
    return found.length === 1 ? found[0]! : this.#current(found);
  }

  /** Of two audio files of one recording (an interrupted replaceAudio), the one its sidecar names; else the older format. */
  async #current(found: readonly StoredRecording[]): Promise<StoredRecording> {
    const format = await this.readSidecar(found[0]!)
      .then((read) => read?.sidecar.audio.format)
      .catch(() => undefined);
    return found.find((entry) => entry.format === format) ?? found.find((entry) => entry.format === 'pcap') ?? found[0]!;
  }

  /** The recording of a call (searched in the month of `start`), or undefined. */
  async findByCallId(callId: string, start: Date): Promise<StoredRecording | undefined> {
    const month = monthFolderOf(start, this.timeZone);
    const group = (await this.#groups(month)).get(callIdField(callId));
    const audioFile = group ? [...group.audio.keys()].sort()[0] : undefined;
    return audioFile ? this.#entry(month, audioFile, group) : undefined;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Filing

  /**
   * File a recording: audio (+ sidecar) into ROOT/YYYY_MM atomically, encrypted and signed when a keyring is
   * set, then copied to the backup tree. Filing a call already filed returns the existing recording.
   */
  file(input: FileInput): Promise<FiledRecording> {
    return this.#serial.run(() => this.#file(input));
  }

  async #file(input: FileInput): Promise<FiledRecording> {
    if (!RECORDING_FORMATS.includes(input.format)) throw new StoreError('bad-input', `file: unknown format ${JSON.stringify(input.format)}`);
    if (input.mix !== undefined && !AUDIO_MIXES.includes(input.mix)) throw new StoreError('bad-input', `file: unknown mix ${JSON.stringify(input.mix)}`);
    const baseName = recordingBaseName(input.meta, this.timeZone);
    const month = monthFolderOf(input.meta.start, this.timeZone);
    const dir = this.#monthDir(month);
    const callField = callIdField(input.meta.callId);

    const group = (await this.#groups(month)).get(callField);
    const filedAudio = group ? [...group.audio.keys()].sort()[0] : undefined;
    if (filedAudio) {
      const entry = await this.#entry(month, filedAudio, group);
      let sidecar: RecordingSidecar | undefined;
      try {
        sidecar = entry.xmlPath ? (await readSidecarFile(entry.xmlPath, this.keyring)).sidecar : undefined;
      } catch {
        sidecar = undefined; // unreadable (e.g. another key): still filed; the index reports it
      }
      await rm(input.audioPath, { force: true });
      return { ...entry, alreadyFiled: true, ...(sidecar ? { sidecar } : {}), backup: await this.#backup(entry) };
    }

    const sealedInput = await this.#checkInput(input.audioPath);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await fsyncDir(this.root);

    const tempAudio = tempPathIn(dir, `.${input.format}`);
    const tempXml = tempPathIn(dir, '.xml');
    try {
      const keyring = this.keyring;
      // Sealed under a key of its own (erasure can destroy it), signed with the system key as ever.
      const sealing = keyring && this.dataKeys && (this.encryptAudio || this.encryptSidecar) ? keyring.with(await this.dataKeys.create(input.meta.callId), { current: true }) : keyring;
      const { audioDigest, plainBytes } = await this.#writeAudio(input.audioPath, sealedInput, tempAudio, sealing);

      const unsigned: RecordingSidecar = {
        meta: input.meta,
        audio: {
          format: input.format,
          ...(input.mix !== undefined ? { mix: input.mix } : {}),
          ...(input.codec !== undefined ? { codec: input.codec } : {}),
          ...(input.durationMs !== undefined ? { durationMs: input.durationMs } : {}),
          bytes: plainBytes,
          encrypted: this.encryptAudio,
        },
        cdr: input.cdrXml ?? [],
      };
      const sidecar = keyring && audioDigest !== undefined ? signSidecar(unsigned, baseName, audioDigest, keyring) : unsigned;
      await writeNewFile(tempXml, encodeSidecar(sidecar, this.encryptSidecar ? sealing : undefined));

      // Stray sidecars or notes of this call (an interrupted earlier attempt) would shadow the new ones.
      for (const stray of group?.xml ?? []) if (stray !== baseName) await rm(join(dir, `${stray}.xml`), { force: true });
      await rename(tempXml, join(dir, `${baseName}.xml`));
      await fsyncDir(dir);
      await renameNoReplace(tempAudio, join(dir, `${baseName}.${input.format}`)); // the commit point
      await fsyncDir(dir);
      await rm(input.audioPath, { force: true });
      const entry = await this.#entry(month, `${baseName}.${input.format}`, undefined);
      return { ...entry, alreadyFiled: false, sidecar, backup: await this.#backup(entry) };
    } catch (error) {
      await rm(tempAudio, { force: true });
      await rm(`${tempAudio}.partial`, { force: true });
      await rm(tempXml, { force: true });
      throw error;
    }
  }


  /** Whether the audio to file is sealed; StoreError when it is missing, or sealed and this store has no keys. */
  async #checkInput(audioPath: string): Promise<boolean> {
    try {
      await stat(audioPath);
    } catch (error) {
      if (isNotFound(error)) throw new StoreError('input-missing', `${audioPath}: the audio to file does not exist (convert again)`);
      throw error;
    }
    // Audio encrypted since it was first written (encryption on: the converter seals as it writes).
    const sealedInput = await isEncryptedFile(audioPath);
    if (sealedInput && !this.keyring) throw new StoreError('input-sealed', `${audioPath}: the audio to file is encrypted and this store has no keys`);
    return sealedInput;
  }

  /** The audio written to `target` as this store keeps it (sealed or plain), with its plaintext digest and size. */
  async #writeAudio(audioPath: string, sealedInput: boolean, target: string, sealing: Keyring | undefined): Promise<{ audioDigest: string | undefined; plainBytes: number }> {
    const keyring = sealing;
    if (keyring && sealedInput) {
      // Opened and sealed again in one pass (or written plain where the store keeps audio plain), never via a plain copy.
      const resealed = await resealFile(audioPath, target, keyring, { encrypt: this.encryptAudio });
      return { audioDigest: resealed.sha256, plainBytes: resealed.plaintextBytes };
    }
    const plainBytes = (await stat(audioPath)).size;
    // Encrypting reads the audio once and hashes it on the way; only a plain copy needs a read of its own.
    if (keyring && this.encryptAudio) return { audioDigest: (await encryptFile(audioPath, target, keyring)).plaintextSha256, plainBytes };
    const audioDigest = keyring ? await digestFile(audioPath) : undefined;
    await linkOrCopy(audioPath, target);
    return { audioDigest, plainBytes };
  }

  /**
   * Replace a recording's audio with a new rendering (the converter turning a kept PCAP into WAV or MP3): the new
   * audio is placed beside the old, the sidecar is rewritten for it and signed again (the commit point), then the
   * old audio goes; the backup copy follows. A crash in between leaves two audio files of one name, and the
   * sidecar says which is current (get() and recover() keep that one). The old audio must still verify.
   */
  replaceAudio(name: string, input: Omit<FileInput, 'meta' | 'cdrXml'>): Promise<FiledRecording> {
    return this.#serial.run(async () => {
      if (!RECORDING_FORMATS.includes(input.format)) throw new StoreError('bad-input', `replaceAudio: unknown format ${JSON.stringify(input.format)}`);
      const entry = await this.get(name);
      if (entry.location === 'bucket') throw new StoreError('conflict', `${entry.name}: in ${this.#tier!.bucket.where}: converted only before it moves there`);
      if (entry.format === input.format) throw new StoreError('conflict', `${entry.name}: already ${input.format}`);
      const read = entry.xmlPath ? await this.readSidecar(entry) : undefined;
      if (!read) throw new StoreError('conflict', `${entry.name}: no sidecar, so the recording's call data would be lost: not converted`);
      if (read.sidecar.signature && this.keyring) {
        const check = await verifyFile(entry.audioPath, this.keyring);
        if (check.status !== 'intact') throw new StoreError('conflict', `${entry.name}: ${check.status}${check.reason ? ` (${check.reason})` : ''}: not converted`);
      }
      const sealedInput = await this.#checkInput(input.audioPath);
      const dir = this.#monthDir(entry.month);
      const target = join(dir, `${entry.name}.${input.format}`);
      // A new audio file the sidecar does not name yet is what an interrupted replacement left: written again.
      await rm(target, { force: true });
      const tempAudio = tempPathIn(dir, `.${input.format}`);
      try {
        const sealing = await this.#keyringOf(entry.xmlPath ?? entry.audioPath);
        const { audioDigest, plainBytes } = await this.#writeAudio(input.audioPath, sealedInput, tempAudio, sealing);
        const { sidecar: before, encrypted } = read;
        const unsigned: RecordingSidecar = {
          ...before,
          audio: {
            format: input.format,
            ...(input.mix !== undefined ? { mix: input.mix } : {}),
            ...(input.codec !== undefined ? { codec: input.codec } : before.audio.codec !== undefined ? { codec: before.audio.codec } : {}),
            ...(input.durationMs !== undefined ? { durationMs: input.durationMs } : {}),
            bytes: plainBytes,
            encrypted: this.encryptAudio,
          },
        };
        const { signature: _old, ...withoutSignature } = unsigned;
        const sidecar = this.keyring && audioDigest !== undefined ? signSidecar(withoutSignature, entry.name, audioDigest, this.keyring) : withoutSignature;
        await renameNoReplace(tempAudio, target);
        await fsyncDir(dir);
        await writeFileDurable(entry.xmlPath!, encodeSidecar(sidecar, encrypted || this.encryptSidecar ? sealing : undefined)); // the commit point
        await rm(input.audioPath, { force: true });
        // The backup before the old audio goes: a crash in between leaves the old audio as the sign that the
        // replacement is to be finished (finishReplacement), backup included.
        const replaced = await this.#entry(entry.month, `${entry.name}.${input.format}`, undefined);
        const backup = await this.#backup(replaced);
        const backupDir = this.#backupDir(entry.month);
        if (backupDir && backup.status === 'copied') await rm(join(backupDir, `${entry.name}.${entry.format}`), { force: true }).catch(() => undefined);
        await rm(entry.audioPath, { force: true });
        await fsyncDir(dir);
        return { ...replaced, alreadyFiled: false, sidecar, backup };
      } catch (error) {
        await rm(tempAudio, { force: true });
        await rm(`${tempAudio}.partial`, { force: true });
        throw error;
      }
    });
  }

  /** At open: a recording with two audio files (replaceAudio interrupted, long ago): the one its sidecar does not name goes. */
  async #dropSettledLeftovers(dir: string, group: CallGroup): Promise<void> {
    const byBase = new Map<string, string[]>();
    for (const file of group.audio.keys()) {
      const base = parseRecordingName(file).baseName;
      byBase.set(base, [...(byBase.get(base) ?? []), file]);
    }
    for (const [base, files] of byBase) {
      if (files.length < 2 || !group.xml.has(base)) continue;
      const format = await readSidecarFile(join(dir, `${base}.xml`), this.keyring)
        .then((read) => read.sidecar.audio.format)
        .catch(() => undefined);
      if (format === undefined || !files.includes(`${base}.${format}`)) continue; // unreadable here: both are kept
      for (const file of files) {
        if (file === `${base}.${format}`) continue;
        // A converter in another process may be between placing the new audio and switching the sidecar now.
        const modified = (await lstat(join(dir, file)).catch(() => undefined))?.mtimeMs;
        if (modified === undefined || Date.now() - modified < REPLACEMENT_SETTLED_MS) continue;
        await rm(join(dir, file), { force: true });
        group.audio.delete(file);
      }
    }
  }

  /**
   * Finish a replaceAudio that a crash cut short after its commit (the sidecar names the new audio): the old audio
   * goes from the month folder and the backup tree, and the backup gets the current files. For the one converter
   * of a store (it holds the lock, so no replacement is in progress elsewhere).
   */
  finishReplacement(name: string): Promise<StoredRecording> {
    return this.#serial.run(async () => {
      const entry = await this.get(name);
      if (entry.location === 'bucket') return entry; // moved only once complete
      const dir = this.#monthDir(entry.month);
      const others = RECORDING_FORMATS.filter((format) => format !== entry.format);
      for (const format of others) await rm(join(dir, `${entry.name}.${format}`), { force: true });
      await fsyncDir(dir);
      const backupDir = this.#backupDir(entry.month);
      if (backupDir && (await this.#backup(entry)).status === 'copied') {
        for (const format of others) await rm(join(backupDir, `${entry.name}.${format}`), { force: true }).catch(() => undefined);
      }
      return entry;
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Backup

  #backupDir(month: string): string | undefined {
    return this.backupRoot ? join(this.backupRoot, month) : undefined;
  }

  /**
   * Whether `target` is a copy of `source`: audio is written once (equal size = same copy); small files (notes,
   * sidecars) are compared byte for byte. 'missing' when the target is not there; other errors are thrown.
   */
  async #copyState(source: string, target: string): Promise<{ state: 'same' | 'missing' | 'different'; detail?: string }> {
    let a;
    let b;
    try {
      [a, b] = await Promise.all([stat(source), stat(target)]);
    } catch (error) {
      if (isNotFound(error)) return { state: 'missing', detail: basename(source) };
      throw error;
    }
    if (a.size !== b.size) return { state: 'different', detail: `${basename(source)}: ${a.size} bytes here, ${b.size} in the backup` };
    if (a.size <= SMALL_FILE && !(await readFile(source)).equals(await readFile(target))) return { state: 'different', detail: `${basename(source)}: content differs` };
    return { state: 'same' };
  }

  async #backupFile(source: string, month: string): Promise<void> {
    const dir = this.#backupDir(month)!;
    const target = join(dir, basename(source));
    if ((await this.#copyState(source, target)).state === 'same') return;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await copyFileDurable(source, target);
  }

  /** A recording's file names in the commit order of every copy: sidecar and notes first, the audio last. */
  #filesOf(entry: StoredRecording): string[] {
    return [...(entry.xmlPath ? [`${entry.name}.xml`] : []), ...(entry.notesPath ? [`${entry.name}.txt`] : []), `${entry.name}.${entry.format}`];
  }

  /** Like #copyState, for an object of the bucket and its copy in the backup tree. */
  async #bucketCopyState(entry: StoredRecording, file: string): Promise<{ state: 'same' | 'missing' | 'different'; detail?: string }> {
    const bucket = this.#tier!.bucket;
    const [object, copy] = await Promise.all([bucket.head(entry.month, file), stat(join(this.#backupDir(entry.month)!, file)).catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)))]);
    if (!object || !copy) return { state: 'missing', detail: file };
    if (object.size !== copy.size) return { state: 'different', detail: `${file}: ${object.size} bytes in the bucket, ${copy.size} in the backup` };
    if (object.size <= SMALL_FILE && !(await bucket.getBytes(entry.month, file))!.equals(await readFile(join(this.#backupDir(entry.month)!, file)))) {
      return { state: 'different', detail: `${file}: content differs` };
    }
    return { state: 'same' };
  }

  async #backup(entry: StoredRecording): Promise<BackupOutcome> {
    if (!this.backupRoot) return { status: 'none' };
    if (entry.location === 'bucket') {
      try {
        const dir = this.#backupDir(entry.month)!;
        for (const file of this.#filesOf(entry)) {
          if ((await this.#bucketCopyState(entry, file)).state === 'same') continue;
          await mkdir(dir, { recursive: true, mode: 0o700 });
          await this.#tier!.bucket.download(entry.month, file, join(dir, file));
        }
        return { status: 'copied' };
      } catch (error) {
        return { status: 'failed', error: error instanceof Error ? error.message : String(error) };
      }
    }
    try {
      // Sidecar and notes first, the audio last: the same commit order as in the main tree.
      if (entry.xmlPath) await this.#backupFile(entry.xmlPath, entry.month);
      if (entry.notesPath) await this.#backupFile(entry.notesPath, entry.month);
      await this.#backupFile(entry.audioPath, entry.month);
      return { status: 'copied' };
    } catch (error) {
      return { status: 'failed', error: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Copy a recording to the backup tree again (e.g. after the backup drive was offline). */
  async backupRecording(name: string): Promise<BackupOutcome> {
    return this.#serial.run(async () => this.#backup(await this.get(name)));
  }

  /**
   * How the backup copy of a recording stands: 'same' (every file there, sizes equal, small files equal byte for
   * byte), 'missing' (a file is not there), 'different' (a size or small file differs), or 'unreachable' (the
   * backup tree cannot be read). Undefined without a backup tree.
   */
  async backupState(entry: StoredRecording): Promise<{ state: 'same' | 'missing' | 'different' | 'unreachable'; detail?: string } | undefined> {
    if (!this.backupRoot) return undefined;
    const dir = this.#backupDir(entry.month)!;
    if (entry.location === 'bucket') {
      for (const file of this.#filesOf(entry)) {
        let copy;
        try {
          copy = await this.#bucketCopyState(entry, file);
        } catch (error) {
          return { state: 'unreachable', detail: error instanceof Error ? error.message : String(error) };
        }
        if (copy.state !== 'same') return copy;
      }
      return { state: 'same' };
    }
    for (const source of [entry.xmlPath, entry.notesPath, entry.audioPath]) {
      if (source === undefined) continue;
      let copy;
      try {
        copy = await this.#copyState(source, join(dir, basename(source)));
      } catch (error) {
        return { state: 'unreachable', detail: error instanceof Error ? error.message : String(error) };
      }
      if (copy.state !== 'same') return copy;
    }
    return { state: 'same' };
  }

  /** Base names in the backup tree's month folders that have no recording here (left after a deletion). */
  async backupOnly(): Promise<string[]> {
    if (!this.backupRoot) return [];
    const extra: string[] = [];
    const months = await this.#listDir(this.backupRoot).catch(() => []);
    for (const month of months.filter((m) => MONTH_DIR.test(m)).sort()) {
      const here = new Set(await this.#listDir(this.#monthDir(month)));
      if (this.#tier) for (const object of await this.#tier.bucket.list(month)) here.add(object.file);
      for (const file of (await this.#listDir(join(this.backupRoot, month)).catch(() => [])).sort()) {
        if (file.startsWith('.') || here.has(file)) continue;
        extra.push(`${month}/${file}`);
      }
    }
    return extra;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Sidecar, verification, notes, TAN

  /** Read and parse a recording's sidecar (decrypting it). CryptoError / SidecarError when it cannot be read. */
  async readSidecar(recording: string | StoredRecording): Promise<{ sidecar: RecordingSidecar; encrypted: boolean } | undefined> {
    const entry = typeof recording === 'string' ? await this.get(recording) : recording;
    if (!entry.xmlPath) return undefined;
    if (entry.location === 'bucket') return this.#tier!.readSidecar(entry, this.keyring);
    return readSidecarFile(entry.xmlPath, this.keyring);
  }

  /** Check the audio against its encryption and signature. */
  async verify(recording: string | StoredRecording): Promise<IntegrityState> {
    const entry = typeof recording === 'string' ? await this.get(recording) : recording;
    const result = await this.#verifyAudio(entry, this.keyring ?? new Keyring([]));
    // The store signs whatever it encrypts: an encrypted recording whose signed sidecar is gone cannot show it is this call.
    if (result.status === 'intact' && result.kind === 'encrypted' && result.signed !== true) return 'tampered';
    switch (result.status) {
      case 'intact':
      case 'tampered':
      case 'unknown-key':
        return result.status;
      case 'truncated':
      case 'unreadable':
        return 'tampered';
      case 'unsigned':
        return 'unchecked';
    }
  }

  /** The notes of a recording ('' when there are none). Notes are plain UTF-8 text, as in the reference. */
  async readNotes(name: string): Promise<string> {
    const entry = await this.get(name);
    if (!entry.notesPath) return '';
    if (entry.location === 'bucket') return this.#tier!.readNotes(entry);
    return readFile(entry.notesPath, 'utf8');
  }

  /** Replace a recording's notes; empty text removes the notes file. */
  writeNotes(name: string, text: string): Promise<StoredRecording> {
    return this.#serial.run(async () => {
      const entry = await this.get(name);
      if (entry.location === 'bucket') {
        if (text.length === 0) await this.#tier!.bucket.remove(entry.month, `${entry.name}.txt`);
        else await this.#tier!.bucket.putBytes(entry.month, `${entry.name}.txt`, Buffer.from(text, 'utf8'));
        const updated = await this.get(entry.name);
        if (text.length > 0) await this.#backup(updated);
        return updated;
      }
      const path = join(this.#monthDir(entry.month), `${entry.name}.txt`);
      if (text.length === 0) {
        await rm(path, { force: true });
        await fsyncDir(this.#monthDir(entry.month));
      } else {
        await writeFileDurable(path, text);
      }
      const updated = await this.get(entry.name);
      if (text.length > 0) await this.#backup(updated);
      return updated;
    });
  }

  /**
   * Set or change a recording's TAN (6 digits; "000000" marks "no TAN"). A TAN can be changed but never removed.
   * Renames audio, sidecar and notes and rewrites the TAN in the sidecar.
   */
  updateTan(name: string, tan: string): Promise<StoredRecording> {
    return this.#serial.run(async () => {
      if (typeof tan !== 'string' || !isValidTan(tan)) throw new StoreError('bad-tan', `${name}: a TAN is exactly 6 digits, got ${JSON.stringify(tan)}`);
      const entry = await this.get(name);
      if (entry.parsed.tan === tan) return entry;
      const bucket = entry.location === 'bucket' ? this.#tier!.bucket : undefined;
      // Deleting the old names is part of a rename: an object lock (write once) refuses it for years.
      if (bucket?.objectLock) throw new StoreError('conflict', `${entry.name}: ${bucket.where} locks objects (object lock): a TAN change would leave the old name; not changed`);
      const newBase = withTan(entry.name, tan);
      const sidecar = entry.xmlPath ? await this.#sidecarWithTan(entry, newBase, tan) : undefined;
      if (bucket) {
        // New sidecar, notes copied, the audio copied (the commit point), the old objects deleted.
        if (sidecar) await bucket.putBytes(entry.month, `${newBase}.xml`, sidecar);
        if (entry.notesPath) await bucket.copy(entry.month, `${entry.name}.txt`, `${newBase}.txt`);
        await bucket.copy(entry.month, `${entry.name}.${entry.format}`, `${newBase}.${entry.format}`);
        await this.#tier!.remove(entry);
      } else {
        const dir = this.#monthDir(entry.month);
        if (sidecar) await writeFileDurable(join(dir, `${newBase}.xml`), sidecar);
        if (entry.notesPath) await renameNoReplace(entry.notesPath, join(dir, `${newBase}.txt`));
        await renameNoReplace(entry.audioPath, join(dir, `${newBase}.${entry.format}`)); // the commit point
        await fsyncDir(dir);
        if (entry.xmlPath) await rm(entry.xmlPath, { force: true });
        await fsyncDir(dir);
      }
      const renamed = await this.get(newBase);
      const backupDir = this.#backupDir(entry.month);
      if (backupDir && (await this.#backup(renamed)).status === 'copied') {
        for (const ext of [entry.format, 'xml', 'txt']) await rm(join(backupDir, `${entry.name}.${ext}`), { force: true }).catch(() => undefined);
      }
      return renamed;
    });
  }

  /**
   * The recording's sidecar with the new TAN, encoded as stored. The signature binds the name, which the TAN is part
   * of: signed again, but never over a recording that no longer verifies.
   */
  async #sidecarWithTan(entry: StoredRecording, newBase: string, tan: string): Promise<Buffer> {
    const { sidecar, encrypted } = (await this.readSidecar(entry))!;
    let updated: RecordingSidecar = { ...sidecar, meta: { ...sidecar.meta, tan } };
    if (sidecar.signature && this.keyring) {
      const check = await this.#verifyAudio(entry, this.keyring);
      if (check.status !== 'intact') throw new StoreError('conflict', `${entry.name}: ${check.status}${check.reason ? ` (${check.reason})` : ''}: the TAN is not changed`);
      updated = signSidecar(updated, newBase, sidecar.signature.digest, this.keyring);
    }
    return encodeSidecar(updated, encrypted ? await this.#keyringOf(entry.location === 'bucket' ? undefined : entry.xmlPath) : undefined);
  }

  /**
   * The keyring to seal a recording's rewritten files with: its own data key (read from the header of one of its
   * sealed files) made current, so an edit never moves it off the key its erasure destroys; else the store's.
   */
  async #keyringOf(sealedFile: string | undefined): Promise<Keyring | undefined> {
    const keyring = this.keyring;
    if (!keyring || !this.dataKeys || sealedFile === undefined) return keyring;
    const id = await containerKeyIdOf(sealedFile);
    const key = id !== undefined && this.dataKeys.resolve(id) ? keyring.get(id) : undefined;
    return key ? keyring.with(key, { current: true }) : keyring;
  }

  /** The data keys a recording's sealed files are under (tree or bucket): what its erasure destroys. */
  async dataKeyIds(entry: StoredRecording): Promise<string[]> {
    const ids = new Set<string>();
    for (const ext of [entry.format, 'xml']) {
      const id =
        entry.location === 'bucket'
          ? containerKeyIdIn(await this.#tier!.bucket.getRange(entry.month, `${entry.name}.${ext}`, 0, HEADER_BYTES - 1).catch(() => undefined))
          : await containerKeyIdOf(ext === 'xml' ? entry.xmlPath : entry.audioPath);
      if (id !== undefined) ids.add(id);
    }
    return [...ids].filter((id) => this.dataKeys?.resolve(id) !== undefined || this.dataKeys?.erased(id) !== undefined);
  }

  /** The audio checked against its encryption and signature, in the tree or in the bucket. */
  #verifyAudio(entry: StoredRecording, keyring: Keyring): Promise<FileVerification> {
    return entry.location === 'bucket' ? this.#tier!.verify(entry, keyring) : verifyFile(entry.audioPath, keyring);
  }

  /** Delete a whole recording (audio, sidecar, notes); the audio goes last so a crash leaves no half recording. */
  remove(name: string): Promise<void> {
    return this.#serial.run(async () => {
      const entry = await this.get(name);
      if (entry.location === 'bucket') return this.#tier!.remove(entry);
      await this.#removeEntry(entry);
      await fsyncDir(this.#monthDir(entry.month));
    });
  }

  /**
   * Erase a recording (a data subject's request): its files here or in the bucket, and its copies in the backup
   * tree (every name of its call: a TAN rename leaves the old name's copy there). The caller destroys its data keys.
   * Returns the backup files removed.
   */
  erase(name: string): Promise<string[]> {
    return this.#serial.run(async () => {
      const entry = await this.get(name);
      if (entry.location === 'bucket') await this.#tier!.remove(entry);
      else {
        await this.#removeEntry(entry);
        await fsyncDir(this.#monthDir(entry.month));
      }
      const backupDir = this.#backupDir(entry.month);
      const removed: string[] = [];
      if (backupDir) {
        const callIdField = parseRecordingName(entry.name).callIdField;
        for (const file of await readdir(backupDir).catch(() => [] as string[])) {
          let parsed;
          try {
            parsed = parseRecordingName(file);
          } catch {
            continue;
          }
          if (parsed.callIdField !== callIdField || parsed.extension === undefined) continue;
          await rm(join(backupDir, file), { force: true });
          removed.push(file);
        }
        if (removed.length > 0) await fsyncDir(backupDir);
      }
      return removed;
    });
  }

  async #removeEntry(entry: StoredRecording): Promise<void> {
    if (entry.xmlPath) await rm(entry.xmlPath, { force: true });
    if (entry.notesPath) await rm(entry.notesPath, { force: true });
    await rm(entry.audioPath, { force: true });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Retention

  /**
   * Delete recordings that started more than `months` calendar months before `now` (in the store's zone), whole
   * (audio, sidecar, notes), and month folders left empty. The backup tree is an archive and is not touched.
   */
  applyRetention(plan: RetentionPlan | number, now: Date = new Date()): Promise<RetentionResult> {
    return this.#serial.run(async () => {
      if (typeof plan === 'number' && (!Number.isSafeInteger(plan) || plan < 1)) throw new StoreError('bad-input', `retention: months must be a whole number ≥ 1, got ${String(plan)}`);
      const cutoffs = new RetentionCutoffs(typeof plan === 'number' ? { policies: [], defaultMonths: plan } : plan, now, this.timeZone);
      const cutoffMonth = cutoffs.lastMonth ?? '0000_00';
      const policyOf: Record<string, string> = {};
      const held: Array<{ name: string; policy: string; hold: string }> = [];
      /** Whether a recording's files go now (its policy's time is over and no hold keeps it). */
      const expires = (base: string): boolean => {
        const verdict = cutoffs.verdict(parseRecordingName(base));
        if (!verdict.expired) return false;
        if (verdict.heldBy !== undefined) {
          held.push({ name: base, policy: verdict.policy, hold: verdict.heldBy });
          return false;
        }
        policyOf[base] = verdict.policy;
        return true;
      };
      /** Left-overs (sidecar, notes without audio) of a recording whose time is over; no record of it is kept. */
      const leftOverExpires = (base: string): boolean => {
        const verdict = cutoffs.verdict(parseRecordingName(base));
        return verdict.expired && verdict.heldBy === undefined;
      };

      const removed: string[] = [];
      const removedFolders: string[] = [];
      for (const folder of (await this.#listDir(this.root)).filter((d) => MONTH_DIR.test(d)).sort()) {
        if (folder > cutoffMonth) break;
        const dir = this.#monthDir(folder);
        for (const [, group] of await this.#groups(folder)) {
          for (const audioFile of [...group.audio.keys()].sort()) {
            const parsed = parseRecordingName(audioFile);
            if (!expires(parsed.baseName)) continue;
            const entry = await this.#entry(folder, audioFile, group);
            await this.#removeEntry(entry);
            group.xml.delete(entry.name);
            group.txt.delete(entry.name);
            removed.push(entry.name);
          }
          // Left-overs of recordings already gone (an interrupted deletion): sidecars and notes without audio.
          const audioBases = new Set([...group.audio.keys()].map((f) => parseRecordingName(f).baseName));
          for (const [ext, bases] of [['xml', group.xml], ['txt', group.txt]] as const) {
            for (const base of bases) {
              if (!audioBases.has(base) && leftOverExpires(base)) await rm(join(dir, `${base}.${ext}`), { force: true });
            }
          }
        }
        await fsyncDir(dir);
        try {
          await rmdir(dir);
          removedFolders.push(folder);
        } catch (error) {
          if (!['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes(errnoOf(error) ?? '')) throw error;
        }
      }
      if (removedFolders.length > 0) await fsyncDir(this.root);
      const failed: string[] = [];
      if (this.#tier) {
        const tier = this.#tier;
        for (const folder of await tier.bucket.months()) {
          if (folder > cutoffMonth) break;
          for (const group of (await tier.groups(folder)).values()) {
            for (const file of [...group.audio.keys()].sort()) {
              const parsed = parseRecordingName(file);
              if (!expires(parsed.baseName)) continue;
              try {
                await tier.removeFiles(folder, parsed.baseName, parsed.extension as RecordingFormat);
                removed.push(parsed.baseName);
              } catch (error) {
                if (!(error instanceof BucketError)) throw error;
                failed.push(`${parsed.baseName}: ${error.message}`);
              }
            }
            const audioBases = new Set([...group.audio.keys()].map((f) => parseRecordingName(f).baseName));
            for (const [ext, bases] of [['xml', group.xml], ['txt', group.txt]] as const) {
              for (const base of bases) if (!audioBases.has(base) && leftOverExpires(base)) await tier.bucket.remove(folder, `${base}.${ext}`).catch(() => undefined);
            }
          }
        }
      }
      return { removed, removedFolders, cutoffMonth, policyOf, held, failed };
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Scan and recovery

  /** Month folders present, oldest first. */
  async months(): Promise<string[]> {
    return (await this.#listDir(this.root)).filter((d) => MONTH_DIR.test(d)).sort();
  }

  /** Month folders here or in the bucket, oldest first. */
  async #allMonths(): Promise<string[]> {
    const here = await this.months();
    if (!this.#tier) return here;
    return [...new Set([...here, ...(await this.#tier.bucket.months())])].sort();
  }

  /** Every recording in the tree, month by month, in name order (chronological within a month). */
  async *scan(): AsyncGenerator<StoredRecording> {
    for (const month of await this.#allMonths()) {
      const groups = await this.#groups(month);
      const audio: Array<[string, CallGroup]> = [];
      for (const group of groups.values()) for (const file of group.audio.keys()) audio.push([file, group]);
      audio.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [file, group] of audio) {
        try {
          yield await this.#entry(month, file, group);
        } catch (error) {
          if (!isNotFound(error)) throw error; // removed while scanning
        }
      }
      // Then the month's recordings in the bucket (those not here: a move in progress is the local one).
      if (this.#tier) {
        const here = new Set(audio.map(([file]) => parseRecordingName(file).baseName));
        yield* this.#tier.entries(month, (file) => here.has(parseRecordingName(file).baseName));
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Bucket

  /**
   * Move a filed recording to the bucket: sidecar and notes uploaded, then the audio (the commit point), then the
   * local files removed, audio first. Moving a recording already there does nothing; a move cut short is finished.
   * BucketError when the bucket cannot be reached: the recording stays here, complete.
   */
  moveToBucket(name: string): Promise<StoredRecording> {
    return this.#serial.run(async () => {
      const tier = this.#tier;
      if (!tier) throw new StoreError('bad-input', `${name}: this store has no bucket`);
      const entry = await this.get(name);
      if (entry.location === 'bucket') return entry;
      const dir = this.#monthDir(entry.month);
      const files = this.#filesOf(entry);
      for (const file of files) await tier.bucket.putFile(entry.month, file, join(dir, file));
      // The audio first: a crash after it leaves only what recover() removes (a sidecar without audio).
      for (const file of [files.at(-1)!, ...files.slice(0, -1)]) await rm(join(dir, file), { force: true });
      await fsyncDir(dir);
      const moved = await this.get(entry.name);
      if (moved.location !== 'bucket') throw new StoreError('conflict', `${entry.name}: still in ${dir} after its move to ${tier.bucket.where}`);
      return moved;
    });
  }

  /** A recording's audio for reads at any position (a player's ranges): the file here, or ranged reads of the object. */
  async openAudio(entry: StoredRecording): Promise<{ file: PositionalFile; path: string }> {
    if (entry.location === 'bucket') return this.#tier!.openAudio(entry);
    return { file: await open(entry.audioPath, 'r'), path: entry.audioPath };
  }

  /** The audio as a local file for work that reads it whole (decoding a kept capture); `release` when done. */
  async localCopy(entry: StoredRecording): Promise<{ audioPath: string; release: () => Promise<void> }> {
    if (entry.location === 'bucket') return this.#tier!.localCopy(entry);
    return { audioPath: entry.audioPath, release: async () => undefined };
  }

  /**
   * Clean up after a crash: remove temporary files, sidecars whose audio was never committed (or already
   * deleted), and put notes back beside their recording after an interrupted TAN change. Run at start.
   */
  recover(): Promise<RecoveryReport> {
    return this.#serial.run(async () => {
      const removedTemp: string[] = [];
      const removedOrphans: string[] = [];
      const renamedNotes: string[] = [];
      const dirs = [this.root, join(this.root, QUARANTINE_DIR), ...(await this.months()).map((m) => this.#monthDir(m))];
      // The backup tree may be offline or broken (a path that is no folder): its leftovers wait, the store opens.
      const backupMonths = this.backupRoot ? await this.#listDir(this.backupRoot).catch(() => []) : [];
      for (const m of backupMonths.filter((d) => MONTH_DIR.test(d))) dirs.push(join(this.backupRoot!, m));
      for (const dir of dirs) {
        const inBackup = this.backupRoot !== undefined && dir.startsWith(this.backupRoot);
        for (const file of await this.#listDir(dir).catch((error: unknown) => (inBackup ? [] : Promise.reject(error)))) {
          if (!file.startsWith(TEMP_PREFIX)) continue;
          // Another process on this store (a `run` beside a `serve`, a second converter) may be writing it now.
          const modified = (await lstat(join(dir, file)).catch(() => undefined))?.mtimeMs;
          if (modified === undefined || !isAbandonedTemp(file, modified)) continue;
          await rm(join(dir, file), { force: true, recursive: true });
          removedTemp.push(join(dir, file));
        }
      }
      for (const month of await this.months()) {
        const dir = this.#monthDir(month);
        for (const group of (await this.#groups(month)).values()) {
          await this.#dropSettledLeftovers(dir, group);
          const audioBases = new Set([...group.audio.keys()].map((f) => parseRecordingName(f).baseName));
          for (const base of group.xml) {
            if (audioBases.has(base)) continue;
            await rm(join(dir, `${base}.xml`), { force: true });
            removedOrphans.push(join(dir, `${base}.xml`));
          }
          const [onlyAudio] = audioBases;
          for (const base of group.txt) {
            if (audioBases.has(base) || audioBases.size !== 1 || group.txt.has(onlyAudio!)) continue;
            await renameNoReplace(join(dir, `${base}.txt`), join(dir, `${onlyAudio}.txt`));
            renamedNotes.push(join(dir, `${onlyAudio}.txt`));
          }
        }
        await fsyncDir(dir);
      }
      return { removedTemp, removedOrphans, renamedNotes };
    });
  }
}

