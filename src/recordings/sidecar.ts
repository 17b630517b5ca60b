// The XML sidecar beside each recording (same base name, .xml): the call data, the raw CDR fragments from the
// reporting kept verbatim, and the audio's integrity signature. Encrypted in the container when a key is set.
import { readFile } from 'node:fs/promises';
import { Keyring, SIGNATURE_ALGORITHM, openSidecar, sealSidecar, signDigest, signatureToXml, unsignedSidecarDigest } from '../platform/crypto/index.js';
import type { RecordingSignature } from '../platform/crypto/index.js';
import { SidecarError, StoreError } from './errors.js';
import { AUDIO_MIXES, RECORDING_FORMATS } from '../domain/index.js';
import type { AudioMix, CallDirection, RecordingFormat } from '../domain/index.js';
import { isValidTan, wellFormed } from './naming.js';
import { XmlSyntaxError, cdata, escapeText, isXmlSafe, parseXml } from '../platform/xml/index.js';
import type { XmlElement } from '../platform/xml/index.js';

export const SIDECAR_VERSION = 1;


/** What is known about a recorded call (from SOAP, the CDR and the agent rules). */
export interface RecordingMeta {
  readonly callId: string;
  /** Call start (first signalling of the call). */
  readonly start: Date;
  readonly answered?: Date;
  readonly end?: Date;
  readonly secondsToAnswer: number;
  readonly direction: CallDirection;
  readonly internal: string;
  readonly internalName?: string;
  readonly external: string;
  readonly externalName?: string;
  /** Name of the agent rule that decided to keep the call. */
  readonly agentRule?: string;
  /** Exactly 6 digits; "000000" = explicitly no TAN. */
  readonly tan?: string;
  readonly executive?: boolean;
}

/** The stored audio file as it was filed. */
export interface SidecarAudio {
  readonly format: RecordingFormat;
  readonly mix?: AudioMix;
  readonly codec?: string;
  readonly durationMs?: number;
  /** Plain (decrypted) size of the audio in bytes. */
  readonly bytes?: number;
  /** Whether the audio file is an encrypted container. */
  readonly encrypted: boolean;
}

export interface RecordingSidecar {
  readonly meta: RecordingMeta;
  readonly audio: SidecarAudio;
  /** CDR XML fragments as received from the reporting, verbatim. */
  readonly cdr: readonly string[];
  readonly signature?: RecordingSignature;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/** A text element; a value with characters XML cannot hold at all is written as base64 of its UTF-8. */
function textElement(indent: string, tag: string, value: string): string {
  if (isXmlSafe(value)) return `${indent}<${tag}>${escapeText(value)}</${tag}>\n`;
  return `${indent}<${tag} encoding="base64">${Buffer.from(wellFormed(value), 'utf8').toString('base64')}</${tag}>\n`;
}

function cdrElement(value: string): string {
  if (isXmlSafe(value)) return `  <cdr>${cdata(value)}</cdr>\n`;
  return `  <cdr encoding="base64">${Buffer.from(wellFormed(value), 'utf8').toString('base64')}</cdr>\n`;
}

function checkDate(value: Date | undefined, field: string): void {
  if (value !== undefined && (!(value instanceof Date) || Number.isNaN(value.getTime()))) throw new StoreError('bad-input', `sidecar: ${field} is not a valid date`);
}

function checkCount(value: number | undefined, field: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) throw new StoreError('bad-input', `sidecar: ${field} must be a whole number ≥ 0, got ${String(value)}`);
}

/** The sidecar document (UTF-8 XML text). Every string value round-trips exactly (lone surrogates become U+FFFD). */
export function sidecarToXml(sidecar: RecordingSidecar): string {
  const { meta, audio } = sidecar;
  checkDate(meta.start, 'start');
  checkDate(meta.answered, 'answered');
  checkDate(meta.end, 'end');
  checkCount(meta.secondsToAnswer, 'secondsToAnswer');
  checkCount(audio.durationMs, 'durationMs');
  checkCount(audio.bytes, 'bytes');
  if (meta.start === undefined) throw new StoreError('bad-input', 'sidecar: start is missing');
  if (meta.direction !== 'in' && meta.direction !== 'out') throw new StoreError('bad-input', `sidecar: direction must be 'in' or 'out'`);
  if (meta.tan !== undefined && !isValidTan(meta.tan)) throw new StoreError('bad-tan', `sidecar: a TAN is exactly 6 digits, got ${JSON.stringify(meta.tan)}`);
  if (!RECORDING_FORMATS.includes(audio.format)) throw new StoreError('bad-input', `sidecar: unknown format ${JSON.stringify(audio.format)}`);
  if (audio.mix !== undefined && !AUDIO_MIXES.includes(audio.mix)) throw new StoreError('bad-input', `sidecar: unknown mix ${JSON.stringify(audio.mix)}`);

  let xml = '<?xml version="1.0" encoding="UTF-8"?>\n';
  xml += `<recording version="${SIDECAR_VERSION}">\n`;
  const executive = meta.executive === undefined ? '' : ` executive="${meta.executive === true}"`;
  xml += `  <call direction="${meta.direction}" secondsToAnswer="${meta.secondsToAnswer}"${executive}>\n`;
  xml += textElement('    ', 'id', meta.callId);
  xml += `    <start>${meta.start.toISOString()}</start>\n`;
  if (meta.answered) xml += `    <answered>${meta.answered.toISOString()}</answered>\n`;
  if (meta.end) xml += `    <end>${meta.end.toISOString()}</end>\n`;
  for (const [tag, number, name] of [
    ['internal', meta.internal, meta.internalName],
    ['external', meta.external, meta.externalName],
  ] as const) {
    xml += `    <${tag}>\n${textElement('      ', 'number', number)}`;
    if (name !== undefined) xml += textElement('      ', 'name', name);
    xml += `    </${tag}>\n`;
  }
  if (meta.agentRule !== undefined) xml += textElement('    ', 'agentRule', meta.agentRule);
  if (meta.tan !== undefined) xml += `    <tan>${meta.tan}</tan>\n`;
  xml += '  </call>\n';
  let audioAttributes = `format="${audio.format}"`;
  if (audio.mix !== undefined) audioAttributes += ` mix="${audio.mix}"`;
  audioAttributes += ` encrypted="${audio.encrypted}"`;
  if (audio.bytes !== undefined) audioAttributes += ` bytes="${audio.bytes}"`;
  if (audio.durationMs !== undefined) audioAttributes += ` durationMs="${audio.durationMs}"`;
  if (audio.codec === undefined) xml += `  <audio ${audioAttributes}/>\n`;
  else xml += `  <audio ${audioAttributes}>\n${textElement('    ', 'codec', audio.codec)}  </audio>\n`;
  // The signature comes before any CDR text, so a reader that looks for the first <signature> finds this one.
  if (sidecar.signature) xml += `  ${signatureToXml(sidecar.signature)}\n`;
  for (const fragment of sidecar.cdr) xml += cdrElement(fragment);
  xml += '</recording>\n';
  return xml;
}

/**
 * The sidecar with a signature that binds it, the audio (`audioDigest`, SHA-256 of the plain audio) and the
 * recording's name together: swapping either file for another recording's, or renaming the pair, is detected.
 */
export function signSidecar(sidecar: RecordingSidecar, name: string, audioDigest: string, keyring: Keyring): RecordingSidecar {
  const { signature: _old, ...unsigned } = sidecar;
  const signature = signDigest(audioDigest, keyring, { name, sidecarDigest: unsignedSidecarDigest(sidecarToXml(unsigned)) });
  return { ...unsigned, signature };
}

/** The bytes to store: sealed in the container when a keyring is given, plain UTF-8 otherwise. */
export function encodeSidecar(sidecar: RecordingSidecar, keyring?: Keyring): Buffer {
  const xml = sidecarToXml(sidecar);
  return keyring ? sealSidecar(xml, keyring) : Buffer.from(xml, 'utf8');
}

// ---------------------------------------------------------------------------------------------------------------
// Reading (strict: unknown elements or attributes, missing or malformed values are errors)

class Reader {
  constructor(readonly file: string) {}

  fail(path: string, reason: string): never {
    throw new SidecarError(this.file, path, reason);
  }

  attributes(element: XmlElement, path: string, allowed: readonly string[]): void {
    for (const name of element.attributes.keys()) if (!allowed.includes(name)) this.fail(path, `unknown attribute ${name}`);
  }

  onlyElements(element: XmlElement, path: string): void {
    if (element.text.trim() !== '') this.fail(path, 'unexpected text');
  }

  children(element: XmlElement, path: string, allowed: readonly string[], repeatable: readonly string[] = []): Map<string, XmlElement[]> {
    this.onlyElements(element, path);
    const map = new Map<string, XmlElement[]>();
    for (const child of element.children) {
      if (!allowed.includes(child.name)) this.fail(`${path}/${child.name}`, 'unknown element');
      const list = map.get(child.name) ?? [];
      if (list.length > 0 && !repeatable.includes(child.name)) this.fail(`${path}/${child.name}`, 'given more than once');
      list.push(child);
      map.set(child.name, list);
    }
    return map;
  }

  text(element: XmlElement, path: string): string {
    this.attributes(element, path, ['encoding']);
    if (element.children.length > 0) this.fail(path, 'expected text, found elements');
    const encoding = element.attributes.get('encoding');
    if (encoding === undefined) return element.text;
    if (encoding !== 'base64') this.fail(path, `unknown encoding ${JSON.stringify(encoding)}`);
    const body = element.text.replace(/\s+/g, '');
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(body)) this.fail(path, 'invalid base64');
    return Buffer.from(body, 'base64').toString('utf8');
  }

  required(map: Map<string, XmlElement[]>, name: string, path: string): XmlElement {
    const element = map.get(name)?.[0];
    if (!element) this.fail(`${path}/${name}`, 'missing');
    return element;
  }

  date(element: XmlElement, path: string): Date {
    const value = this.text(element, path);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/.test(value)) this.fail(path, `expected an ISO 8601 UTC time, got ${JSON.stringify(value)}`);
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) this.fail(path, `not a valid time: ${JSON.stringify(value)}`);
    return date;
  }

  count(element: XmlElement, path: string, attribute: string, required: boolean): number | undefined {
    const value = element.attributes.get(attribute);
    if (value === undefined) {
      if (required) this.fail(path, `attribute ${attribute} is missing`);
      return undefined;
    }
    if (!/^\d{1,15}$/.test(value)) this.fail(path, `attribute ${attribute}: expected a whole number ≥ 0, got ${JSON.stringify(value)}`);
    return Number(value);
  }

  boolean(element: XmlElement, path: string, attribute: string): boolean | undefined {
    const value = element.attributes.get(attribute);
    if (value === undefined) return undefined;
    if (value !== 'true' && value !== 'false') this.fail(path, `attribute ${attribute}: expected true or false, got ${JSON.stringify(value)}`);
    return value === 'true';
  }
}

function readParty(reader: Reader, element: XmlElement, path: string): { number: string; name?: string } {
  reader.attributes(element, path, []);
  const parts = reader.children(element, path, ['number', 'name']);
  const number = reader.text(reader.required(parts, 'number', path), `${path}/number`);
  const nameElement = parts.get('name')?.[0];
  return nameElement ? { number, name: reader.text(nameElement, `${path}/name`) } : { number };
}

function readSignature(reader: Reader, element: XmlElement, path: string): RecordingSignature {
  reader.attributes(element, path, ['algorithm', 'keyId', 'digest', 'name', 'value']);
  if (element.children.length > 0 || element.text.trim() !== '') reader.fail(path, 'expected an empty element');
  const algorithm = element.attributes.get('algorithm');
  const keyId = element.attributes.get('keyId') ?? '';
  const digest = element.attributes.get('digest') ?? '';
  const signature = element.attributes.get('value') ?? '';
  if (algorithm !== SIGNATURE_ALGORITHM) reader.fail(path, `algorithm must be ${SIGNATURE_ALGORITHM}, got ${JSON.stringify(algorithm ?? null)}`);
  if (!/^[0-9a-f]{16}$/.test(keyId)) reader.fail(path, 'keyId must be 16 lower-case hex digits');
  if (!/^[0-9a-f]{64}$/.test(digest)) reader.fail(path, 'digest must be 64 lower-case hex digits');
  if (!/^[0-9a-f]{64}$/.test(signature)) reader.fail(path, 'value must be 64 lower-case hex digits');
  const name = element.attributes.get('name');
  return { algorithm: SIGNATURE_ALGORITHM, keyId, digest, signature, ...(name !== undefined ? { name } : {}) };
}

/** Parse a sidecar document; `file` names it in errors (SidecarError: file, element, reason). */
export function sidecarFromXml(xml: string, file = 'sidecar'): RecordingSidecar {
  const reader: Reader = new Reader(file);
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new SidecarError(file, '', `not well-formed XML: ${error.message}`);
    throw error;
  }
  if (root.name !== 'recording') reader.fail(root.name, 'the root element must be <recording>');
  reader.attributes(root, 'recording', ['version']);
  const version = root.attributes.get('version');
  if (version !== String(SIDECAR_VERSION)) reader.fail('recording', `unsupported version ${JSON.stringify(version ?? null)} (this build reads ${SIDECAR_VERSION})`);
  const top = reader.children(root, 'recording', ['call', 'audio', 'signature', 'cdr'], ['cdr']);

  const callPath = 'recording/call';
  const call = reader.required(top, 'call', 'recording');
  reader.attributes(call, callPath, ['direction', 'secondsToAnswer', 'executive']);
  const direction = call.attributes.get('direction');
  if (direction !== 'in' && direction !== 'out') reader.fail(callPath, `attribute direction: expected in or out, got ${JSON.stringify(direction ?? null)}`);
  const secondsToAnswer = reader.count(call, callPath, 'secondsToAnswer', true)!;
  const executive = reader.boolean(call, callPath, 'executive');
  const parts = reader.children(call, callPath, ['id', 'start', 'answered', 'end', 'internal', 'external', 'agentRule', 'tan']);
  const callId = reader.text(reader.required(parts, 'id', callPath), `${callPath}/id`);
  if (callId.length === 0) reader.fail(`${callPath}/id`, 'empty call id');
  const start = reader.date(reader.required(parts, 'start', callPath), `${callPath}/start`);
  const answeredElement = parts.get('answered')?.[0];
  const endElement = parts.get('end')?.[0];
  const internal = readParty(reader, reader.required(parts, 'internal', callPath), `${callPath}/internal`);
  const external = readParty(reader, reader.required(parts, 'external', callPath), `${callPath}/external`);
  const agentRuleElement = parts.get('agentRule')?.[0];
  const tanElement = parts.get('tan')?.[0];
  let tan: string | undefined;
  if (tanElement) {
    tan = reader.text(tanElement, `${callPath}/tan`);
    if (!isValidTan(tan)) reader.fail(`${callPath}/tan`, `a TAN is exactly 6 digits, got ${JSON.stringify(tan)}`);
  }
  const meta: RecordingMeta = {
    callId,
    start,
    ...(answeredElement ? { answered: reader.date(answeredElement, `${callPath}/answered`) } : {}),
    ...(endElement ? { end: reader.date(endElement, `${callPath}/end`) } : {}),
    secondsToAnswer,
    direction,
    internal: internal.number,
    ...(internal.name !== undefined ? { internalName: internal.name } : {}),
    external: external.number,
    ...(external.name !== undefined ? { externalName: external.name } : {}),
    ...(agentRuleElement ? { agentRule: reader.text(agentRuleElement, `${callPath}/agentRule`) } : {}),
    ...(tan !== undefined ? { tan } : {}),
    ...(executive !== undefined ? { executive } : {}),
  };

  const audioPath = 'recording/audio';
  const audioElement = reader.required(top, 'audio', 'recording');
  reader.attributes(audioElement, audioPath, ['format', 'mix', 'encrypted', 'bytes', 'durationMs']);
  const format = audioElement.attributes.get('format') as RecordingFormat | undefined;
  if (format === undefined || !RECORDING_FORMATS.includes(format)) reader.fail(audioPath, `attribute format: expected ${RECORDING_FORMATS.join(', ')}, got ${JSON.stringify(format ?? null)}`);
  const mix = audioElement.attributes.get('mix') as AudioMix | undefined;
  if (mix !== undefined && !AUDIO_MIXES.includes(mix)) reader.fail(audioPath, `attribute mix: expected stereo, mono or internal, got ${JSON.stringify(mix)}`);
  const encrypted = reader.boolean(audioElement, audioPath, 'encrypted');
  if (encrypted === undefined) reader.fail(audioPath, 'attribute encrypted is missing');
  const bytes = reader.count(audioElement, audioPath, 'bytes', false);
  const durationMs = reader.count(audioElement, audioPath, 'durationMs', false);
  const audioParts = reader.children(audioElement, audioPath, ['codec']);
  const codecElement = audioParts.get('codec')?.[0];
  const audio: SidecarAudio = {
    format,
    ...(mix !== undefined ? { mix } : {}),
    ...(codecElement ? { codec: reader.text(codecElement, `${audioPath}/codec`) } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(bytes !== undefined ? { bytes } : {}),
    encrypted,
  };

  const signatureElement = top.get('signature')?.[0];
  const cdr = (top.get('cdr') ?? []).map((element, index) => reader.text(element, `recording/cdr[${index + 1}]`));
  return {
    meta,
    audio,
    cdr,
    ...(signatureElement ? { signature: readSignature(reader, signatureElement, 'recording/signature') } : {}),
  };
}

/** Decode stored sidecar bytes (decrypting a container with the keyring). CryptoErrors (unknown key, tampered) pass through. */
export function decodeSidecar(bytes: Uint8Array, keyring: Keyring | undefined, file = 'sidecar'): { sidecar: RecordingSidecar; encrypted: boolean } {
  const { xml, encrypted } = openSidecar(bytes, keyring ?? emptyKeyring());
  return { sidecar: sidecarFromXml(xml, file), encrypted };
}

/** Read a sidecar file. */
export async function readSidecarFile(path: string, keyring?: Keyring): Promise<{ sidecar: RecordingSidecar; encrypted: boolean }> {
  const bytes = await readFile(path);
  try {
    return decodeSidecar(bytes, keyring, path);
  } catch (error) {
    if (error instanceof Error && !(error instanceof SidecarError) && !error.message.startsWith(path)) error.message = `${path}: ${error.message}`;
    throw error;
  }
}

let empty: Keyring | undefined;
function emptyKeyring(): Keyring {
  empty ??= new Keyring([]);
  return empty;
}
