/**
 * The converter of the reference's "PCAP recording" mode: the service keeps each call's native capture as its
 * recording (format pcap, sealed when encryption is on), and this converts those recordings in the store, later
 * or on another machine, into WAV or MP3 with the converter's own mix: audio replaced, sidecar rewritten and
 * signed again, index, backup and change feed following (Recordings.replaceAudio). A recording already converted
 * is passed over, so a second run does nothing; one interrupted by a crash is converted again on the next run
 * (the sidecar is the commit point). One converter runs per store at a time (a lock file with its pid).
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AudioMix, Mp3EncoderName, RecordingFormat, WavEncoding } from '../../domain/index.js';
import { errnoOf } from '../../platform/util/index.js';
import type { Recordings, StoredRecording } from '../../recordings/index.js';
import { recordedByOfCallId } from '../rules/index.js';
import { convertCapture } from './convert-capture.js';
import type { ConvertOptions } from './convert-capture.js';
import type { ConvertEncryption } from './encryption.js';

export interface StoreConversionOptions {
  readonly recordings: Recordings;
  /** What the kept captures become (not pcap). */
  readonly format: Exclude<RecordingFormat, 'pcap'>;
  readonly mix: AudioMix;
  readonly encoding: WavEncoding;
  readonly kbps: number;
  readonly mp3Encoder?: Mp3EncoderName;
  /** Where conversions are written before they replace the capture (a folder of the store's disk). */
  readonly workDir: string;
  /** Keys: a sealed capture is opened with them and its recording sealed again by the store. */
  readonly encryption?: ConvertEncryption;
  readonly swapChannels?: boolean;
  readonly signal?: AbortSignal;
  /** Told of each recording as it is done. */
  readonly onRecording?: (outcome: StoreConversionOutcome) => void;
}

export interface StoreConversionOutcome {
  readonly name: string;
  readonly status: 'converted' | 'failed';
  readonly durationSeconds?: number;
  readonly error?: string;
}

export interface StoreConversionSummary {
  /** Recordings kept as captures that this run found (and tried). */
  readonly found: number;
  readonly converted: number;
  readonly failed: number;
  /** Captures already moved to the store's bucket: not converted (objects are not rewritten in place). */
  readonly inBucket: number;
  readonly outcomes: readonly StoreConversionOutcome[];
}

export class ConverterLockedError extends Error {
  constructor(
    readonly lockFile: string,
    readonly pid: number,
  ) {
    super(`another converter (pid ${pid}) works on this store (${lockFile}); one at a time`);
    this.name = 'ConverterLockedError';
  }
}

/** Converts every recording kept as a capture, one after the other. */
export async function convertStore(options: StoreConversionOptions): Promise<StoreConversionSummary> {
  const { recordings } = options;
  const pending: StoredRecording[] = [];
  let inBucket = 0;
  for await (const stored of recordings.scan()) {
    // The bucket keeps what was moved as it was moved (objects are not rewritten in place): the tree only.
    if (stored.location === 'bucket') {
      if (stored.format === 'pcap') inBucket++;
      continue;
    }
    if (stored.format === 'pcap') pending.push(stored);
    // Converted and cleaned up by a run killed before it told the index: the row follows the files now.
    else if (recordings.row(stored.name)?.format === 'pcap') await recordings.refreshIndex(stored.name);
  }
  const outcomes: StoreConversionOutcome[] = [];
  for (const stored of pending) {
    if (options.signal?.aborted) break;
    const outcome = await convertOne(stored, options);
    if (outcome === undefined) continue;
    outcomes.push(outcome);
    options.onRecording?.(outcome);
  }
  const converted = outcomes.filter((o) => o.status === 'converted').length;
  return { found: outcomes.length, converted, failed: outcomes.length - converted, inBucket, outcomes };
}

/** One recording: undefined when it is no longer a capture (converted meanwhile, or removed). */
async function convertOne(stored: StoredRecording, options: StoreConversionOptions): Promise<StoreConversionOutcome | undefined> {
  const { recordings } = options;
  let current: StoredRecording;
  try {
    current = await recordings.files(stored.name);
  } catch {
    return undefined; // removed meanwhile (retention, a user)
  }
  if (current.format !== 'pcap') {
    // Converted by a run that was stopped before it told the index: the row follows the files now.
    await recordings.refreshIndex(current.name);
    return undefined;
  }
  const outDir = join(options.workDir, 'store-convert', stored.name);
  await rm(outDir, { recursive: true, force: true });
  const convertOptions: ConvertOptions = {
    outDir,
    format: options.format,
    mix: options.mix,
    encoding: options.encoding,
    kbps: options.kbps,
    ...(options.mp3Encoder ? { mp3Encoder: options.mp3Encoder } : {}),
    // A phone's own capture (its call id carries the device) is mirrored against a gateway's.
    channels: { recordedBy: recordedByOfCallId(stored.parsed.callId), oneCall: true, ...(options.swapChannels ? { swap: true } : {}) },
    ...(options.encryption ? { encryption: options.encryption } : {}),
  };
  try {
    const report = await convertCapture(current.audioPath, convertOptions);
    const output = [...report.outputs].sort((a, b) => b.durationSeconds - a.durationSeconds)[0];
    if (!output) return { name: stored.name, status: 'failed', error: report.error ?? 'no audio in the capture' };
    await recordings.replaceAudio(stored.name, {
      audioPath: output.path,
      format: options.format,
      mix: options.mix,
      codec: output.codec,
      durationMs: Math.round(output.durationSeconds * 1000),
    });
    return { name: stored.name, status: 'converted', durationSeconds: output.durationSeconds };
  } catch (error) {
    return { name: stored.name, status: 'failed', error: error instanceof Error ? error.message : String(error) };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/**
 * Takes the store's converter lock (`file`, holding the pid), or throws ConverterLockedError while another live
 * process holds it; a lock left by a dead process is taken over. Resolves with its release.
 */
export async function lockConverter(file: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.sync();
      await handle.close();
      return async () => {
        await rm(file, { force: true });
      };
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw error;
    }
    const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new ConverterLockedError(file, pid);
    await rm(file, { force: true }); // left by a converter that died
  }
  throw new Error(`${file}: could not take the converter lock`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) === 'EPERM';
  }
}
