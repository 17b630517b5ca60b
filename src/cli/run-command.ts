import type { Command } from 'commander';
import { createServiceLogger } from '../platform/util/index.js';
import { describeConfig } from '../platform/config/index.js';
import { RecorderService } from '../recorder/service/index.js';
import { CommandExit, EXIT_FAILED, positiveInteger } from './exit-codes.js';
import { loadCommandConfig } from './command-config.js';

interface RunFlags {
  config: string;
  workers?: number;
  check?: boolean;
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('the recording service: take captures off the PBX drive, correlate with SOAP and CDRs, file recordings (runs until stopped)')
    .option('-c, --config <file>', 'configuration file (JSON or TOML)', 'recorder.toml')
    .option('--workers <n>', 'conversion worker threads (default: convert in the service thread)', positiveInteger)
    .option('--check', 'validate the configuration and the keys, print it (secrets redacted) and exit')
    .action(async (flags: RunFlags) => {
      // Recordings, captures, journal, index and logs are personal data: everything this process creates is owner-only (0600/0700).
      process.umask(0o077);
      const { config, keyring } = await loadCommandConfig(flags.config, 'recorder run');
      if (flags.check) {
        process.stdout.write(`${JSON.stringify(describeConfig(config), null, 2)}\n${flags.config}: valid\n`);
        return;
      }
      const logger = createServiceLogger(config.log, 'recorder');
      logger.info({ config: describeConfig(config) }, 'configuration');
      const service = new RecorderService({ config, logger, ...(keyring ? { keyring } : {}), ...(flags.workers ? { workers: flags.workers } : {}) });
      try {
        await service.start();
      } catch (error) {
        logger.fatal({ err: error }, 'cannot start');
        throw new CommandExit(EXIT_FAILED);
      }
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      logger.info('stopping');
      await service.stop();
    });
}
