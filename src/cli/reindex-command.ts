import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, configKeyring, loadConfig } from '../config/index.js';
import type { RecorderConfig } from '../config/index.js';
import { RecordingIndex, RecordingStore } from '../store/index.js';
import { CommandExit, EXIT_USAGE } from './index.js';

export function registerReindexCommand(program: Command): void {
  program
    .command('reindex')
    .description('rebuild the search index from the recordings on disk (the files are the truth; the index can always be rebuilt)')
    .option('-c, --config <file>', 'configuration file (JSON or TOML)', 'recorder.toml')
    .option('--verify', 'also check every recording\'s integrity (intact / tampered / unknown key) for the player\'s badge')
    .option('--json', 'print the result as JSON')
    .action(async (flags: { config: string; verify?: boolean; json?: boolean }) => {
      let config: RecorderConfig;
      try {
        config = await loadConfig(flags.config);
      } catch (error) {
        process.stderr.write(`${error instanceof ConfigError ? error.message : `recorder reindex: ${error instanceof Error ? error.message : String(error)}`}\n`);
        throw new CommandExit(EXIT_USAGE);
      }
      const keyring = await configKeyring(config, flags.config);
      const store = await RecordingStore.open({ root: config.storage.root, timeZone: config.storage.timezone, ...(keyring ? { keyring } : {}) });
      await mkdir(dirname(config.storage.indexPath), { recursive: true });
      const index = new RecordingIndex(config.storage.indexPath);
      try {
        const started = performance.now();
        const result = await index.reindex(store, { verify: flags.verify === true });
        const seconds = (performance.now() - started) / 1000;
        if (flags.json) process.stdout.write(`${JSON.stringify({ ...result, seconds }, null, 2)}\n`);
        else process.stdout.write(`${result.indexed} recordings indexed, ${result.removed} stale rows removed, ${result.unreadableSidecars} unreadable sidecars, in ${seconds.toFixed(1)} s (${config.storage.indexPath})\n`);
      } finally {
        index.close();
      }
    });
}
