import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError, configKeyring, loadConfig } from '../config/index.js';
import type { RecorderConfig } from '../config/index.js';
import type { Keyring } from '../crypto/index.js';
import { RecordingIndex, RecordingStore } from '../store/index.js';
import { CommandExit, EXIT_USAGE } from './index.js';

/**
 * The configuration and keys a command runs with. A bad file or key ends the command with its
 * reason on stderr and the usage exit code, before anything is touched.
 */
export async function loadCommandConfig(path: string, command: string): Promise<{ config: RecorderConfig; keyring: Keyring | undefined }> {
  let config: RecorderConfig;
  try {
    config = await loadConfig(path);
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

/** The configured recording store and its search index (the index's folder made if missing). */
export async function openStoreAndIndex(config: RecorderConfig, keyring: Keyring | undefined): Promise<{ store: RecordingStore; index: RecordingIndex }> {
  const store = await RecordingStore.open({ root: config.storage.root, timeZone: config.storage.timezone, ...(keyring ? { keyring } : {}) });
  await mkdir(dirname(config.storage.indexPath), { recursive: true });
  return { store, index: new RecordingIndex(config.storage.indexPath) };
}
