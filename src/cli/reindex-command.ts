import type { Command } from 'commander';
import { openRecordings } from '../recordings/index.js';
import { loadCommandConfig } from './command-config.js';

export function registerReindexCommand(program: Command): void {
  program
    .command('reindex')
    .description('rebuild the search index from the recordings on disk (the files are the truth; the index can always be rebuilt)')
    .option('-c, --config <file>', 'configuration file (JSON or TOML)', 'recorder.toml')
    .option('--verify', 'also check every recording\'s integrity (intact / tampered / unknown key) for the player\'s badge')
    .option('--json', 'print the result as JSON')
    .action(async (flags: { config: string; verify?: boolean; json?: boolean }) => {
      const { config, keyring } = await loadCommandConfig(flags.config, 'recorder reindex');
      const recordings = await openRecordings(config, keyring, { follow: false });
      try {
        const started = performance.now();
        const result = await recordings.reindex({ verify: flags.verify === true });
        const seconds = (performance.now() - started) / 1000;
        if (flags.json) process.stdout.write(`${JSON.stringify({ ...result, seconds }, null, 2)}\n`);
        else process.stdout.write(`${result.indexed} recordings indexed, ${result.removed} stale rows removed, ${result.unreadableSidecars} unreadable sidecars, in ${seconds.toFixed(1)} s (${config.storage.indexPath})\n`);
      } finally {
        await recordings.close();
      }
    });
}
