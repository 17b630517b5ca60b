import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, configKeyring, loadConfig } from '../config/index.js';
import type { RecorderConfig } from '../config/index.js';
import { AccountStore, PlayerServer, defaultAccountsPath } from '../server/index.js';
import { RecordingIndex, RecordingStore } from '../store/index.js';
import { CommandExit, EXIT_USAGE } from './index.js';

/** How often `recorder serve` looks for recordings filed by a `recorder run` in another process. */
const NEW_RECORDING_POLL_MS = 2000;

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('the player: HTTP server and web player over the recordings of a store (accounts: recorder user add)')
    .option('-c, --config <file>', 'configuration file (JSON or TOML) — the same as recorder run', 'recorder.toml')
    .action(async (flags: { config: string }) => {
      let config: RecorderConfig;
      try {
        config = await loadConfig(flags.config);
      } catch (error) {
        process.stderr.write(`${error instanceof ConfigError ? error.message : `recorder serve: ${error instanceof Error ? error.message : String(error)}`}\n`);
        throw new CommandExit(EXIT_USAGE);
      }
      const keyring = await configKeyring(config, flags.config);
      const store = await RecordingStore.open({ root: config.storage.root, timeZone: config.storage.timezone, ...(keyring ? { keyring } : {}) });
      await mkdir(dirname(config.storage.indexPath), { recursive: true });
      const index = new RecordingIndex(config.storage.indexPath);
      if (index.needsReindex) await index.reindex(store);
      const accountsPath = defaultAccountsPath(config.storage.indexPath);
      const server = new PlayerServer({ store, index, accountsPath, host: config.server.host, port: config.server.port, ...(keyring ? { keyring } : {}) });
      const { url } = await server.listen();
      const accounts = new AccountStore(accountsPath);
      const count = accounts.list().length;
      accounts.close();
      process.stdout.write(`Player at ${url}${count === 0 ? `\nNo accounts yet: recorder user add NAME --role supervisor --config ${flags.config}` : ''}\n`);
      // Recordings filed by the service in another process appear live too.
      const seen = new Set(index.search({ limit: 50, order: 'newest' }).rows.map((row) => row.name));
      const timer = setInterval(() => {
        for (const row of index.search({ limit: 50, order: 'newest' }).rows) {
          if (seen.has(row.name)) continue;
          seen.add(row.name);
          void server.announce(row.name).catch(() => undefined);
        }
      }, NEW_RECORDING_POLL_MS);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      clearInterval(timer);
      await server.close();
      index.close();
    });
}
