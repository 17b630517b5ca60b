import { ConfigError, configKeyring, loadConfig } from '../platform/config/index.js';
import type { RecorderConfig } from '../platform/config/index.js';
import type { Keyring } from '../platform/crypto/index.js';
import { CommandExit, EXIT_USAGE } from './exit-codes.js';

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
