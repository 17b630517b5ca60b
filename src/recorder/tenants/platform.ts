/**
 * A recording platform for several tenants in one process (`recorder run -c A -c B …`): one RecorderService per
 * tenant configuration, each with its own PBX, drive, store, keys, journal, index, logs, lamps and alarm mails, so
 * that one tenant's broken PBX, full disk or bad capture stalls no other. What two tenants may not share is
 * refused before anything starts: a folder (two journals in one work folder would take each other's captures),
 * a port, a job queue.
 */
import { basename, extname, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { RecorderConfig } from '../../platform/config/index.js';
import type { Keyring } from '../../platform/crypto/index.js';
import { RecorderService } from '../service/index.js';
import type { RecorderServiceOptions } from '../service/index.js';

export interface TenantConfig {
  readonly path: string;
  readonly config: RecorderConfig;
  readonly keyring?: Keyring;
}

/** A tenant's name: its configuration's `tenant`, else the file's name without extension. */
export function tenantName(tenant: { readonly path: string; readonly config: RecorderConfig }): string {
  return tenant.config.tenant ?? basename(tenant.path, extname(tenant.path));
}

/** What two tenants of one platform may not share, one line each (empty: they can run side by side). */
export function tenantConflicts(tenants: readonly TenantConfig[]): string[] {
  const conflicts: string[] = [];
  const claims = new Map<string, string>();
  const claim = (what: string, value: string | undefined, tenant: string): void => {
    if (value === undefined) return;
    const key = `${what}\0${value}`;
    const owner = claims.get(key);
    if (owner !== undefined && owner !== tenant) conflicts.push(`tenants ${owner} and ${tenant} share ${what} ${value}: each needs its own`);
    else claims.set(key, tenant);
  };
  for (const tenant of tenants) {
    const name = tenantName(tenant);
    const { config } = tenant;
    claim('the name', name, `${name} (${tenant.path})`);
    const storage = config.storage;
    for (const folder of new Set([storage.root, storage.workDir, storage.journalPath, storage.indexPath, ...(storage.backup !== undefined ? [storage.backup] : [])].map((p) => resolve(p)))) claim('the folder', folder, name);
    if (config.drive.kind === 'local') claim('the capture folder', resolve(config.drive.path), name);
    else claim('the drive', config.drive.url, name);
    if (config.cdrInterface && config.cdrInterface.port !== 0) claim('the CDR interface port', `${config.cdrInterface.host}:${config.cdrInterface.port}`, name);
    if (config.status && config.status.port !== 0) claim('the status port', `${config.status.host}:${config.status.port}`, name);
    if (config.cluster) claim('the job queue', `${config.cluster.redis} ${config.cluster.queue}`, name);
    // Prefixes may nest (a store lists only its own month folders), but one prefix is one store.
    const bucket = storage.bucket;
    if (bucket) claim('the bucket folder', `${bucket.endpoint ?? `aws ${bucket.region}`} s3://${bucket.name}/${bucket.prefix}`, name);
  }
  // A folder of one tenant inside another's: the outer tenant's sweeps and scans would reach into it.
  const folders = [...claims].filter(([key]) => key.startsWith('the folder\0') || key.startsWith('the capture folder\0')).map(([key, owner]) => ({ path: key.slice(key.indexOf('\0') + 1), owner }));
  for (const outer of folders) {
    for (const inner of folders) {
      if (outer.owner !== inner.owner && inner.path.startsWith(`${outer.path}/`)) conflicts.push(`tenant ${inner.owner}'s ${inner.path} is inside tenant ${outer.owner}'s ${outer.path}: give each tenant folders of its own`);
    }
  }
  return conflicts;
}

export interface PlatformOptions {
  readonly tenants: readonly TenantConfig[];
  /** Each tenant's logger (its own files and level). */
  readonly logger: (tenant: string, config: RecorderConfig) => Logger;
  /** Further service options, the same for every tenant (tests: poll intervals). */
  readonly service?: Omit<RecorderServiceOptions, 'config' | 'logger' | 'keyring'>;
}

export class RecorderPlatform {
  readonly services = new Map<string, RecorderService>();

  constructor(private readonly options: PlatformOptions) {
    const conflicts = tenantConflicts(options.tenants);
    if (conflicts.length > 0) throw new Error(conflicts.join('\n'));
  }

  /** Start every tenant's service; one that cannot start stops those already started, and the error names it. */
  async start(): Promise<void> {
    for (const tenant of this.options.tenants) {
      const name = tenantName(tenant);
      const service = new RecorderService({ ...this.options.service, config: tenant.config, logger: this.options.logger(name, tenant.config), ...(tenant.keyring ? { keyring: tenant.keyring } : {}) });
      try {
        await service.start();
      } catch (error) {
        await this.stop();
        throw new Error(`tenant ${name} (${tenant.path}): ${error instanceof Error ? error.message : String(error)}`);
      }
      this.services.set(name, service);
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.services.values()].map((service) => service.stop()));
    this.services.clear();
  }
}
