import type { Command } from 'commander';
import { createServiceLogger } from '../platform/util/index.js';
import { describeConfig } from '../platform/config/index.js';
import { RecorderService } from '../recorder/service/index.js';
import { RecorderPlatform, tenantConflicts, tenantName } from '../recorder/tenants/index.js';
import type { TenantConfig } from '../recorder/tenants/index.js';
import { CommandExit, EXIT_FAILED, EXIT_USAGE, positiveInteger, repeatable, untilStopped } from './exit-codes.js';
import { loadCommandConfig } from './command-config.js';

interface RunFlags {
  config: string[];
  workers?: number;
  check?: boolean;
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('the recording service: take captures off the PBX drive, correlate with SOAP and CDRs, file recordings (runs until stopped)')
    .option('-c, --config <file>', 'configuration file (JSON or TOML); repeated: one tenant each, on one platform (default recorder.toml)', repeatable)
    .option('--workers <n>', 'conversion worker threads (default: convert in the service thread)', positiveInteger)
    .option('--check', 'validate the configuration and the keys, print it (secrets redacted) and exit')
    .action(async (flags: RunFlags) => {
      // Recordings, captures, journal, index and logs are personal data: everything this process creates is owner-only (0600/0700).
      process.umask(0o077);
      const paths = flags.config ?? ['recorder.toml'];
      const tenants: TenantConfig[] = [];
      for (const path of paths) {
        const { config, keyring } = await loadCommandConfig(path, 'recorder run');
        tenants.push({ path, config, ...(keyring ? { keyring } : {}) });
      }
      const conflicts = tenantConflicts(tenants);
      if (conflicts.length > 0) {
        for (const conflict of conflicts) process.stderr.write(`recorder run: ${conflict}\n`);
        throw new CommandExit(EXIT_USAGE);
      }
      if (flags.check) {
        for (const tenant of tenants) process.stdout.write(`${JSON.stringify(describeConfig(tenant.config), null, 2)}\n${tenant.path}: valid\n`);
        return;
      }
      const several = tenants.length > 1;
      const loggerOf = (tenant: TenantConfig) => {
        const logger = createServiceLogger(tenant.config.log, 'recorder', several ? tenantName(tenant) : tenant.config.tenant);
        logger.info({ config: describeConfig(tenant.config) }, 'configuration');
        return logger;
      };
      const threads = flags.workers ? { workers: flags.workers } : {};
      let stop: () => Promise<void>;
      if (!several) {
        const [tenant] = tenants as [TenantConfig];
        const logger = loggerOf(tenant);
        const service = new RecorderService({ config: tenant.config, logger, ...(tenant.keyring ? { keyring: tenant.keyring } : {}), ...threads });
        try {
          await service.start();
        } catch (error) {
          logger.fatal({ err: error }, 'cannot start');
          throw new CommandExit(EXIT_FAILED);
        }
        stop = async () => {
          logger.info('stopping');
          await service.stop();
        };
      } else {
        const loggers = new Map(tenants.map((tenant) => [tenantName(tenant), loggerOf(tenant)]));
        const platform = new RecorderPlatform({ tenants, logger: (name) => loggers.get(name)!, service: threads });
        try {
          await platform.start();
        } catch (error) {
          process.stderr.write(`recorder run: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
          throw new CommandExit(EXIT_FAILED);
        }
        stop = async () => {
          for (const logger of loggers.values()) logger.info('stopping');
          await platform.stop();
        };
      }
      await untilStopped();
      await stop();
    });
}
