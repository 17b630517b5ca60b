import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordingMeta } from '../../src/recordings/index.js';
import { mulberry32 } from '../../src/platform/util/index.js';

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `recorder-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function meta(overrides: Partial<RecordingMeta> = {}): RecordingMeta {
  return {
    callId: '75c1f48e909d31188fc00903306225f',
    start: new Date(Date.UTC(2013, 5, 24, 16, 38, 12)),
    answered: new Date(Date.UTC(2013, 5, 24, 16, 38, 19)),
    end: new Date(Date.UTC(2013, 5, 24, 16, 40, 2)),
    secondsToAnswer: 7,
    direction: 'out',
    internal: '39',
    internalName: 'Anna Agent',
    external: '0800102',
    agentRule: 'agents',
    ...overrides,
  };
}

/** A deterministic "audio" file of `size` bytes. */
export function writeAudio(dir: string, name: string, size = 5000, seed = 1): string {
  const random = mulberry32(seed);
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = Math.floor(random() * 256);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** Random strings over a hostile alphabet: XML specials, controls, separators, astral and lone surrogates. */
export function randomString(random: () => number, maxLength = 40): string {
  const alphabet = ['<', '>', '&', '"', "'", ']]>', ']', '\r', '\n', '\r\n', '\t', '\u0000', '\u0001', '\u001f', '\uFFFE', '\uFFFF', '_', '*', '#', '+', '%', '/', '\\', ':', '.', ' ', 'a', 'Z', '0', '9', 'é', '€', '😀', '\uD800', '\uDC00', '&amp;', '<![CDATA[', '-->', 'T123456'];
  const length = Math.floor(random() * maxLength);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

/** A string as it comes back from UTF-8 (lone surrogates become U+FFFD): the reference for round trips. */
export function utf8(value: string): string {
  return Buffer.from(value, 'utf8').toString('utf8');
}
