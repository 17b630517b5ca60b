import type { Command } from 'commander';
import { loadCommandConfig, openStoreAndIndex } from './command-config.js';
import { AccountStore, PlayerServer, defaultAccountsPath } from '../server/index.js';

/** How often `recorder serve` looks for recordings filed by a `recorder run` in another process. */
const NEW_RECORDING_POLL_MS = 2000;

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('the player: HTTP server and web player over the recordings of a store (accounts: recorder user add)')
    .option('-c, --config <file>', 'configuration file (JSON or TOML) — the same as recorder run', 'recorder.toml')
    .action(async (flags: { config: string }) => {
      const { config, keyring } = await loadCommandConfig(flags.config, 'recorder serve');
      const { store, index } = await openStoreAndIndex(config, keyring);
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
