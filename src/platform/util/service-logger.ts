// The logger of a long-running command (`recorder run`, `recorder serve`): JSON lines to stdout (journald and
// container logs take them as they are) and, with [log] dir, to files rolled daily and by size with the newest
// kept (pino-roll, in pino's transport thread). Secret fields are censored whatever the caller logs.
import { join } from 'node:path';
import { pino } from 'pino';
import type { Logger } from 'pino';

export interface ServiceLogSettings {
  readonly level: string;
  /** Also write files here: `<name>.<n>.log`. */
  readonly dir?: string;
  readonly rotateMegabytes: number;
  readonly keepFiles: number;
}

/** Field names whose values never reach a log, at any of the first few levels of an object. */
const SECRET_FIELDS = ['password', 'pass', 'passphrase', 'secret', 'token', 'authorization', 'cookie'];
const REDACT_PATHS = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);

export function createServiceLogger(settings: ServiceLogSettings, name: string, tenant?: string): Logger {
  const options = { level: settings.level, base: { service: name, ...(tenant !== undefined ? { tenant } : {}) }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (settings.dir === undefined) return pino(options);
  const transport = pino.transport({
    targets: [
      { target: 'pino/file', level: settings.level, options: { destination: 1 } },
      {
        target: 'pino-roll',
        level: settings.level,
        options: { file: join(settings.dir, tenant !== undefined ? `${name}-${tenant}` : name), extension: '.log', frequency: 'daily', size: `${settings.rotateMegabytes}m`, mkdir: true, limit: { count: settings.keepFiles } },
      },
    ],
  });
  return pino(options, transport);
}
