// Recording file names (as in the reference):
//   YYYY_MM_DD_HHMM_<internal>_<i|o>_<external>_<secondsToAnswer>_<callId>[_T<tan>].<wav|mp3|opus|pcap|xml|txt>
// in month folders YYYY_MM, the time taken in a configurable zone.
import { localDateTime } from '../platform/util/index.js';
import type { LocalDateTime, TimeZoneSetting } from '../platform/util/index.js';
import { createHash } from 'node:crypto';
import { RecordingNameError, StoreError } from './errors.js';

import { RECORDING_FORMATS } from '../domain/index.js';
import type { CallDirection, RecordingFormat } from '../domain/index.js';
/** Extensions of the files that make up one recording: the audio, its sidecar and its notes. */
export const RECORDING_EXTENSIONS: readonly string[] = [...RECORDING_FORMATS, 'xml', 'txt'];

/** The reference's "no TAN" marker: a TAN, once given, can be changed (e.g. to this) but never removed. */
export const NO_TAN = '000000';


/** What a recording's name is made of. */
export interface RecordingNameFields {
  readonly start: Date;
  readonly internal: string;
  readonly direction: CallDirection;
  readonly external: string;
  readonly secondsToAnswer: number;
  readonly callId: string;
  /** Exactly 6 digits; absent = never given. */
  readonly tan?: string;
}


export interface ParsedRecordingName {
  /** The name without extension. */
  readonly baseName: string;
  /** Lower-case extension without the dot, when the name had one of RECORDING_EXTENSIONS. */
  readonly extension?: string;
  /** Month folder, YYYY_MM. */
  readonly month: string;
  /** Start time as written in the name (wall clock of the store's zone, minute precision). */
  readonly local: LocalDateTime;
  readonly internal: string;
  readonly direction: CallDirection;
  readonly external: string;
  readonly secondsToAnswer: number;
  readonly callId: string;
  /** The call id field exactly as written (what identifies the call among file names). */
  readonly callIdField: string;
  readonly tan?: string;
}

// Longest encoded field: keeps every name well under the 255-byte limit of common file systems.
const MAX_NUMBER_FIELD = 48;
const MAX_CALL_ID_FIELD = 64;

/** Whether a string is a valid TAN: exactly 6 ASCII digits ("000000" = "no TAN", still a valid value). */
export function isValidTan(tan: string): boolean {
  return /^[0-9]{6}$/.test(tan);
}

/** Lone UTF-16 surrogates (which no file system or UTF-8 can carry) replaced by U+FFFD. */
export function wellFormed(value: string): string {
  return value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/**
 * Encode one name field: ASCII letters, digits, '+', '#' and '-' stay; anything else (the '_' separator, '*',
 * '/', '\\', ':', '.', '%', spaces, non-ASCII) becomes %XX of its UTF-8 bytes, so the name is legal on Linux and
 * Windows and decodes back exactly.
 */
export function encodeNameField(value: string): string {
  let out = '';
  for (const char of wellFormed(value)) {
    if (/^[0-9A-Za-z+#-]$/.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Decode a field written by encodeNameField (a stray '%' not followed by two hex digits is kept as is). */
export function decodeNameField(field: string): string {
  if (!field.includes('%')) return field;
  const bytes: number[] = [];
  for (let i = 0; i < field.length; ) {
    if (field[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(field.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(field.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(...Buffer.from(field[i]!, 'utf8'));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Cut an encoded field to at most `max` characters without splitting a %XX escape. */
function cutField(field: string, max: number): string {
  if (field.length <= max) return field;
  let end = max;
  const lastPercent = field.lastIndexOf('%', end - 1);
  if (lastPercent >= 0 && lastPercent > end - 3) end = lastPercent;
  return field.slice(0, end);
}

/** The encoded call id field; over-long ids keep a prefix plus a hash, so the field stays unique and deterministic. */
export function callIdField(callId: string): string {
  const encoded = encodeNameField(callId);
  if (encoded.length <= MAX_CALL_ID_FIELD) return encoded;
  const hash = createHash('sha256').update(callId, 'utf8').digest('hex').slice(0, 16);
  return `${cutField(encoded, MAX_CALL_ID_FIELD - 17)}-${hash}`;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** Month folder name YYYY_MM of an instant in a zone. */
export function monthFolderOf(start: Date, zone: TimeZoneSetting = 'local'): string {
  const local = localDateTime(start, zone);
  return `${String(local.year).padStart(4, '0')}_${two(local.month)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Names

function checkFields(meta: RecordingNameFields): void {
  if (!(meta.start instanceof Date) || Number.isNaN(meta.start.getTime())) throw new StoreError('bad-input', 'recording name: start is not a valid date');
  if (meta.direction !== 'in' && meta.direction !== 'out') throw new StoreError('bad-input', `recording name: direction must be 'in' or 'out', got ${JSON.stringify(meta.direction)}`);
  if (!Number.isSafeInteger(meta.secondsToAnswer) || meta.secondsToAnswer < 0) {
    throw new StoreError('bad-input', `recording name: secondsToAnswer must be a whole number ≥ 0, got ${String(meta.secondsToAnswer)}`);
  }
  if (typeof meta.callId !== 'string' || meta.callId.length === 0) throw new StoreError('bad-input', 'recording name: callId is empty');
  if (typeof meta.internal !== 'string' || typeof meta.external !== 'string') throw new StoreError('bad-input', 'recording name: internal and external must be strings');
  if (meta.tan !== undefined && !isValidTan(meta.tan)) throw new StoreError('bad-tan', `recording name: a TAN is exactly 6 digits, got ${JSON.stringify(meta.tan)}`);
}

/** `YYYY_MM_DD_HHMM_<internal>_<i|o>_<external>_<secondsToAnswer>_<callId>[_T<tan>]` (no extension). */
export function recordingBaseName(meta: RecordingNameFields, zone: TimeZoneSetting = 'local'): string {
  checkFields(meta);
  const t = localDateTime(meta.start, zone);
  const date = `${String(t.year).padStart(4, '0')}_${two(t.month)}_${two(t.day)}_${two(t.hour)}${two(t.minute)}`;
  const internal = cutField(encodeNameField(meta.internal), MAX_NUMBER_FIELD);
  const external = cutField(encodeNameField(meta.external), MAX_NUMBER_FIELD);
  const direction = meta.direction === 'in' ? 'i' : 'o';
  const tan = meta.tan === undefined ? '' : `_T${meta.tan}`;
  return `${date}_${internal}_${direction}_${external}_${meta.secondsToAnswer}_${callIdField(meta.callId)}${tan}`;
}

/** Base name plus extension. */
export function recordingFileName(meta: RecordingNameFields, extension: RecordingFormat | 'xml' | 'txt', zone: TimeZoneSetting = 'local'): string {
  return `${recordingBaseName(meta, zone)}.${extension}`;
}

const NAME_PATTERN = /^(\d{4})_(\d{2})_(\d{2})_(\d{2})(\d{2})_([^_/\\]*)_([io])_([^_/\\]*)_(\d{1,9})_([^_/\\]+?)(?:_T(\d{6}))?$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Read a recording's file name (with or without a directory and extension); throws RecordingNameError otherwise. */
export function parseRecordingName(fileName: string): ParsedRecordingName {
  const slash = Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\'));
  const name = fileName.slice(slash + 1);
  let baseName = name;
  let extension: string | undefined;
  const dot = name.lastIndexOf('.');
  if (dot >= 0) {
    const ext = name.slice(dot + 1).toLowerCase();
    if (!RECORDING_EXTENSIONS.includes(ext)) throw new RecordingNameError(name, `unknown extension .${ext}`);
    extension = ext;
    baseName = name.slice(0, dot);
  }
  const match = NAME_PATTERN.exec(baseName);
  if (!match) throw new RecordingNameError(name, 'expected YYYY_MM_DD_HHMM_<internal>_<i|o>_<external>_<seconds>_<callId>[_T<tan>]');
  const [, y, mo, d, h, mi, internal, dir, external, seconds, callId, tan] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  if (month < 1 || month > 12) throw new RecordingNameError(name, `month ${mo} is not 01…12`);
  if (day < 1 || day > daysIn(year, month)) throw new RecordingNameError(name, `day ${d} does not exist in ${y}_${mo}`);
  if (hour > 23 || minute > 59) throw new RecordingNameError(name, `time ${h}${mi} is not HHMM`);
  return {
    baseName,
    ...(extension !== undefined ? { extension } : {}),
    month: `${y}_${mo}`,
    local: { year, month, day, hour, minute },
    internal: decodeNameField(internal!),
    direction: dir === 'i' ? 'in' : 'out',
    external: decodeNameField(external!),
    secondsToAnswer: Number(seconds),
    callId: decodeNameField(callId!),
    callIdField: callId!,
    ...(tan !== undefined ? { tan } : {}),
  };
}

/** Whether a file name is a recording's (audio, sidecar or notes). */
export function isRecordingName(fileName: string): boolean {
  try {
    parseRecordingName(fileName);
    return true;
  } catch {
    return false;
  }
}

/** The base name with its TAN set (replacing any TAN it had). */
export function withTan(baseName: string, tan: string): string {
  if (!isValidTan(tan)) throw new StoreError('bad-tan', `${baseName}: a TAN is exactly 6 digits, got ${JSON.stringify(tan)}`);
  const parsed = parseRecordingName(baseName);
  const stem = parsed.tan === undefined ? parsed.baseName : parsed.baseName.slice(0, -8);
  return `${stem}_T${tan}`;
}

/** A month folder's files of one call (one call id field): audio files with what the caller keeps of each, and the base names with a sidecar or notes. */
export interface CallFileGroup<T> {
  readonly audio: Map<string, T>;
  readonly xml: Set<string>;
  readonly txt: Set<string>;
}

/**
 * The recording files among `files` (name and what to keep of each audio file) of month folder `month`, grouped by
 * call id field; other names (temporary files, foreign files, another month's) are left out. The tree and the
 * bucket group their listings the same way.
 */
export function groupCallFiles<T>(month: string, files: Iterable<readonly [file: string, value: T]>): Map<string, CallFileGroup<T>> {
  const groups = new Map<string, CallFileGroup<T>>();
  for (const [file, value] of files) {
    let parsed: ParsedRecordingName;
    try {
      parsed = parseRecordingName(file);
    } catch {
      continue;
    }
    if (parsed.extension === undefined || parsed.month !== month) continue;
    let group = groups.get(parsed.callIdField);
    if (!group) {
      group = { audio: new Map(), xml: new Set(), txt: new Set() };
      groups.set(parsed.callIdField, group);
    }
    if (parsed.extension === 'xml') group.xml.add(parsed.baseName);
    else if (parsed.extension === 'txt') group.txt.add(parsed.baseName);
    else group.audio.set(file, value);
  }
  return groups;
}
