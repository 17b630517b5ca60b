// Secrets in the configuration: given plain or as "enc:<base64url container>" (encrypted with the recorder's
// keyring, so the file can be shown or backed up without exposing passwords), and never logged.
import { decryptBytes, encryptBytes } from '../crypto/index.js';
import type { Keyring } from '../crypto/index.js';

const PREFIX = 'enc:';

/** Where the configuration holds secrets (dotted paths). */
export const SECRET_PATHS: readonly string[] = ['pbx.password', 'reporting.password', 'drive.password', 'alarm.mail.password', 'cluster.password', 'storage.bucket.secretAccessKey'];

const SECRET_KEY = /password|secret|passphrase|token/i;
export const REDACTED = '[redacted]';

export function isEncryptedSecret(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** "enc:…" for a secret, under the keyring's current key. */
export function encryptSecret(secret: string, keyring: Keyring): string {
  return `${PREFIX}${encryptBytes(Buffer.from(secret, 'utf8'), keyring).toString('base64url')}`;
}

/** The plain secret; a value without the "enc:" prefix is returned as it is. CryptoError when it cannot be opened. */
export function decryptSecret(value: string, keyring: Keyring): string {
  if (!isEncryptedSecret(value)) return value;
  const body = value.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) throw new Error('the text after "enc:" is not base64url');
  return decryptBytes(Buffer.from(body, 'base64url'), keyring).toString('utf8');
}

function redactUrl(value: string): string {
  // Credentials written into a URL (http://user:password@host) are secrets too.
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@\s]*)@/i, (_whole, scheme: string, userinfo: string) => `${scheme}${userinfo.includes(':') ? `${userinfo.split(':')[0]}:${REDACTED}` : userinfo}@`);
}

function redact(value: unknown, key: string): unknown {
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key)) return value.length === 0 ? '' : REDACTED;
    return redactUrl(value);
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, key));
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v, k);
    return out;
  }
  return value;
}

/** The configuration for logs: every secret replaced by "[redacted]" (also passwords inside URLs). */
export function describeConfig(config: object): Record<string, unknown> {
  return redact(config, '') as Record<string, unknown>;
}
