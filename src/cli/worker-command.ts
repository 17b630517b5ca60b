import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { describeConfig } from '../platform/config/index.js';
import { createServiceLogger } from '../platform/util/index.js';
import { startConversionWorker } from '../recorder/cluster/index.js';
import type { RunningConversionWorker } from '../recorder/cluster/index.js';
import { ConversionPool, serviceConvertKeys } from '../recorder/convert/index.js';
import { tenantConflicts, tenantName } from '../recorder/tenants/index.js';
import type { TenantConfig } from '../recorder/tenants/index.js';
import { CommandExit, EXIT_FAILED, EXIT_USAGE, positiveInteger, repeatable, untilStopped } from './exit-codes.js';
import { loadCommandConfig } from './command-config.js';

interface WorkerFlags {
  config?: string[];
  concurrency?: number;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description("convert captures for recorder services' job queues ([cluster] of their configurations); run on any number of machines (runs until stopped)")
    .option('-c, --config <file>', "a service's configuration (or a copy with its [cluster], [encryption] and storage paths); repeated: one tenant each (default recorder.toml)", repeatable)
    .option('--concurrency <n>', 'conversions at once, over all tenants (worker threads; default: the cores of this machine)', positiveInteger)
    .action(async (flags: WorkerFlags) => {
      process.umask(0o077);
      const tenants: TenantConfig[] = [];
      for (const path of flags.config ?? ['recorder.toml']) {
        const { config } = await loadCommandConfig(path, 'recorder worker', { checkPaths: false });
        if (!config.cluster) {
          process.stderr.write(`recorder worker: ${path}: no [cluster] section: the service converts in its own process, there is no queue to work for\n`);
          throw new CommandExit(EXIT_USAGE);
        }
        tenants.push({ path, config });
      }
      const queues = tenantConflicts(tenants).filter((conflict) => conflict.includes('the job queue'));
      if (queues.length > 0) {
        for (const conflict of queues) process.stderr.write(`recorder worker: ${conflict}\n`);
        throw new CommandExit(EXIT_USAGE);
      }
      const concurrency = flags.concurrency ?? availableParallelism();
      // One set of threads for every tenant's queue: each queue may use all of them, none can take more.
      const pool = concurrency > 1 ? new ConversionPool({ workers: concurrency }) : undefined;
      const several = tenants.length > 1;
      const workers: RunningConversionWorker[] = [];
      for (const tenant of tenants) {
        const { config } = tenant;
        const log = createServiceLogger(config.log, 'recorder-worker', several ? tenantName(tenant) : config.tenant);
        log.info({ config: describeConfig(config) }, 'configuration');
        const keys = serviceConvertKeys(config.encryption);
        try {
          workers.push(await startConversionWorker({ settings: config.cluster!, concurrency, ...(keys ? { keys } : {}), ...(pool ? { pool } : {}), log }));
        } catch (error) {
          log.fatal({ err: error }, 'cannot start');
          await Promise.allSettled(workers.map((worker) => worker.close()));
          await pool?.destroy();
          throw new CommandExit(EXIT_FAILED);
        }
      }
      await untilStopped();
      // The conversions under way are finished first.
      await Promise.allSettled(workers.map((worker) => worker.close()));
      await pool?.destroy();
    });
}
