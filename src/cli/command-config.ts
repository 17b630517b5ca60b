import { ConfigError, configKeyring, loadConfig } from '../platform/config/index.js';
import type { RecorderConfig } from '../platform/config/index.js';
import { DataKeyVault } from '../platform/crypto/index.js';
import type { Keyring } from '../platform/crypto/index.js';
import { DATA_KEYS_DIR } from '../recordings/index.js';
import { mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { AuditTrail } from '../platform/audit/index.js';
import { CommandExit, EXIT_USAGE, usageError } from './exit-codes.js';

/**
 * The configuration and keys a command runs with. A bad file or key ends the command with its
 * reason on stderr and the usage exit code, before anything is touched.
 */
export async function loadCommandConfig(path: string, command: string, options: { checkPaths?: boolean } = {}): Promise<{ config: RecorderConfig; keyring: Keyring | undefined }> {
  let config: RecorderConfig;
  try {
    config = await loadConfig(path, options.checkPaths === false ? { checkPaths: false } : {});
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : `${command}: ${error instanceof Error ? error.message : String(error)}`}\n`);
    throw new CommandExit(EXIT_USAGE);
  }
  try {
    return { config, keyring: await configKeyring(config, path) };
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    throw new CommandExit(EXIT_USAGE);
  }
}

/**
 * Who runs a command: `person` (--by, or the login name) and `user`, as the audit trail and the holds name them
 * (`cli:` and the person).
 */
export function commandUser(by: string | undefined, command: string): { person: string; user: string } {
  const person = by ?? userInfo().username;
  if (!/^[^\s]{1,64}$/.test(person)) usageError(command, `--by: 1…64 characters without blanks, got ${JSON.stringify(person)}`);
  return { person, user: `cli:${person}` };
}

/** A command's entries in the service's audit trail, sealed as it closes (under the configuration's key). */
export async function auditCommand(
  loaded: { readonly config: RecorderConfig; readonly keyring: Keyring | undefined },
  user: string,
  entries: ReadonlyArray<{ readonly action: string; readonly detail: Readonly<Record<string, unknown>> }>,
): Promise<void> {
  await mkdir(dirname(loaded.config.storage.auditPath), { recursive: true });
  const trail = new AuditTrail(loaded.config.storage.auditPath, loaded.keyring ? { keyring: loaded.keyring } : {});
  try {
    for (const { action, detail } of entries) await trail.append(user, action, detail);
  } finally {
    await trail.close();
  }
}

/** The keys that open the store's files: the configuration's, with the per-recording data keys when it uses them. */
export function storeKeyring(loaded: { readonly config: RecorderConfig; readonly keyring: Keyring | undefined }): Keyring | undefined {
  if (!loaded.keyring || !loaded.config.encryption.perRecordingKeys) return loaded.keyring;
  return new DataKeyVault(join(dirname(loaded.config.storage.indexPath), DATA_KEYS_DIR), loaded.keyring).keyring();
}
