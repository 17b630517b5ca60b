import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { describeConfig } from '../platform/config/index.js';
import { createServiceLogger } from '../platform/util/index.js';
import { startConversionWorker } from '../recorder/cluster/index.js';
import { serviceConvertKeys } from '../recorder/convert/index.js';
import { CommandExit, EXIT_FAILED, EXIT_USAGE, positiveInteger } from './exit-codes.js';
import { loadCommandConfig } from './command-config.js';

interface WorkerFlags {
  config: string;
  concurrency?: number;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description("convert captures for a recorder service's job queue ([cluster] of the configuration); run on any number of machines (runs until stopped)")
    .option('-c, --config <file>', 'configuration file: the service\'s, or a copy with the same [cluster], [encryption] and storage paths', 'recorder.toml')
    .option('--concurrency <n>', 'conversions at once (worker threads; default: the cores of this machine)', positiveInteger)
    .action(async (flags: WorkerFlags) => {
      process.umask(0o077);
      const { config } = await loadCommandConfig(flags.config, 'recorder worker', { checkPaths: false });
      if (!config.cluster) {
        process.stderr.write(`recorder worker: ${flags.config}: no [cluster] section: the service converts in its own process, there is no queue to work for\n`);
        throw new CommandExit(EXIT_USAGE);
      }
      const log = createServiceLogger(config.log, 'recorder-worker');
      log.info({ config: describeConfig(config) }, 'configuration');
      const keys = serviceConvertKeys(config.encryption);
      let worker;
      try {
        worker = await startConversionWorker({ settings: config.cluster, concurrency: flags.concurrency ?? availableParallelism(), ...(keys ? { keys } : {}), log });
      } catch (error) {
        log.fatal({ err: error }, 'cannot start');
        throw new CommandExit(EXIT_FAILED);
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      log.info('stopping: the conversions under way are finished first');
      await worker.close();
      log.info({ done: worker.done() }, 'worker stopped');
    });
}
