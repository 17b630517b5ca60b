import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { untilStopped, usageError } from './exit-codes.js';
import { loadCommandConfig } from './command-config.js';
import { openRecordings } from '../recordings/index.js';
import { periodReconciler } from '../recorder/service/index.js';
import { createServiceLogger } from '../platform/util/index.js';
import { AccountStore, PlayerLink, PlayerServer, defaultAccountsPath } from '../player/index.js';

/** A PEM file the configuration names, read whole; a missing or non-PEM file is a usage error naming the setting. */
async function readPem(path: string, setting: string, configFile: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    return refuse(`${configFile}: ${setting}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!bytes.includes('-----BEGIN ')) return refuse(`${configFile}: ${setting}: ${path} is not a PEM file (no -----BEGIN line)`);
  return bytes;
}

const refuse = (message: string): never => usageError('recorder serve', message);

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('the player: HTTP server and web player over the recordings of a store (accounts: recorder user add)')
    .option('-c, --config <file>', 'configuration file (JSON or TOML) — the same as recorder run', 'recorder.toml')
    .action(async (flags: { config: string }) => {
      // Recordings, captures, journal, index and logs are personal data: everything this process creates is owner-only (0600/0700).
      process.umask(0o077);
      const { config, keyring } = await loadCommandConfig(flags.config, 'recorder serve');
      // The same recordings as `recorder run` opens (backup tree, keys and encryption included), following its changes.
      const recordings = await openRecordings(config, keyring);
      const accountsPath = defaultAccountsPath(config.storage.indexPath);
      const { tlsCert, tlsKey, secureCookies, trustProxy } = config.server;
      const tls = tlsCert !== undefined && tlsKey !== undefined ? { cert: await readPem(tlsCert, 'server.tlsCert', flags.config), key: await readPem(tlsKey, 'server.tlsKey', flags.config) } : undefined;
      const server = new PlayerServer({
        recordings,
        accountsPath,
        host: config.server.host,
        port: config.server.port,
        trustProxy,
        statusDir: config.storage.workDir,
        serviceTrailPath: config.storage.auditPath,
        reasonOnPlay: config.server.reasonOnPlay,
        fourEyes: config.server.fourEyes,
        reconcile: periodReconciler(config),
        ...(tls ? { tls } : {}),
        ...(secureCookies !== undefined ? { secureCookies } : {}),
        ...(keyring ? { keyring } : {}),
      });
      let url: string;
      try {
        ({ url } = await server.listen());
      } catch (error) {
        // A key that does not match its certificate, or a port in use: say which setting, not a stack trace.
        const reason = error instanceof Error ? error.message : String(error);
        await recordings.close();
        return refuse(`${flags.config}: ${tls ? 'server.tlsCert/server.tlsKey or ' : ''}server.host/server.port: cannot listen: ${reason}`);
      }
      const accounts = new AccountStore(accountsPath);
      const count = accounts.list().length;
      accounts.close();
      process.stdout.write(`Player at ${url}${count === 0 ? `\nNo accounts yet: recorder user add NAME --role supervisor --config ${flags.config}` : ''}\n`);
      // The player link runs where the players are: FRST/LAST from the change feed, commands to these players.
      let link: PlayerLink | undefined;
      if (config.player) {
        const { appServer, keepAliveSeconds, bufferRecords, urlPort } = config.player;
        link = new PlayerLink({
          recordings,
          server,
          logger: createServiceLogger(config.log, 'player'),
          ...(appServer ? { appServer: { ...appServer, keepAliveSeconds, bufferRecords } } : {}),
          ...(urlPort !== undefined ? { urlPort } : {}),
        });
        try {
          await link.start();
        } catch (error) {
          await server.close();
          await recordings.close();
          return refuse(`${flags.config}: player.urlPort: cannot listen: ${error instanceof Error ? error.message : String(error)}`);
        }
        if (appServer) process.stdout.write(`Player link to the AppServer at ${appServer.host}:${appServer.port}\n`);
        if (link.urlInterface) process.stdout.write(`URL interface at ${link.urlInterface}/IPLTRAC<recording> (this machine only)\n`);
      }
      await untilStopped();
      await link?.stop();
      await server.close();
      await recordings.close();
    });
}
