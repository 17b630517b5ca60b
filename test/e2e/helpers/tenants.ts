// Tenants of one recording platform for the end-to-end tests: an embedded PBX each, a configuration file each
// (its own store, key, CDR interface and job queue on one Redis), and the CLI processes that run them.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedPbx, defaultDirectory } from '../../../src/embedded/index.js';
import type { EmbeddedPbxEndpoints, ScenarioCall } from '../../../src/embedded/index.js';
import { generateKeyFile, readKeyring } from '../../../src/platform/crypto/index.js';
import { readJournal, readStatus } from '../../../src/recorder/service/index.js';
import { RecordingBucket } from '../../../src/recordings/index.js';
import { auditStore, expectedCaptures, scanStore, serviceConfigInput } from './service-harness.js';
import type { StoreAudit } from './service-harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = join(ROOT, 'test/helpers/run-cli.ts');

export interface Tenant {
  readonly name: string;
  readonly pbx: EmbeddedPbx;
  readonly endpoints: EmbeddedPbxEndpoints;
  readonly configPath: string;
  readonly storeRoot: string;
  readonly workDir: string;
  readonly keyFile: string;
  /** The bucket its recordings move to (`<name>/` in it), when it has one. */
  readonly bucket?: RecordingBucket;
}

/** An S3-compatible server (test/helpers/s3.ts) and the bucket a tenant keeps its recordings in. */
export interface TenantBucket {
  readonly endpoint: string;
  readonly name: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface TenantOptions {
  readonly redis: string;
  readonly calls: readonly ScenarioCall[];
  readonly seed: number;
  readonly speed?: number;
  readonly lockSeconds?: number;
  /** Open the service's status endpoint (/status, /metrics) on this port. */
  readonly statusPort?: number;
  readonly format?: 'wav' | 'mp3' | 'opus';
  /** Keep the recordings in this bucket, under the tenant's name. */
  readonly bucket?: TenantBucket;
}

/** A tenant under `base/<name>`: its PBX started, its configuration written. */
export async function makeTenant(base: string, name: string, options: TenantOptions): Promise<Tenant> {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  const pbx = new EmbeddedPbx({ scenario: { seed: options.seed, calls: [...options.calls] }, directory: defaultDirectory(), driveRoot: join(dir, 'drive'), speed: options.speed ?? 10, captureFlushMs: 50 });
  const endpoints = await pbx.start();
  const keyFile = join(dir, 'tenant.key');
  await generateKeyFile(keyFile);
  const input = {
    // The calls' records come from the reporting: no CDR interface port to pick beforehand, which another test
    // running at the same time could take between the pick and the listen.
    ...serviceConfigInput(dir, endpoints, { cluster: { redis: options.redis, queue: `calls-${name}`, lockSeconds: options.lockSeconds ?? 2, attempts: 20 }, trials: 40, ...(options.format ? { format: options.format } : {}) }),
    tenant: name,
    encryption: { enabled: true, keyFiles: [keyFile] },
    log: { level: 'info' as const },
    ...(options.statusPort !== undefined ? { status: { port: options.statusPort } } : {}),
  };
  const bucket = options.bucket ? { ...options.bucket, prefix: `${name}/` } : undefined;
  if (bucket) input.storage = { ...input.storage, bucket };
  const configPath = join(dir, 'recorder.json');
  writeFileSync(configPath, JSON.stringify(input, null, 2));
  return {
    name,
    pbx,
    endpoints,
    configPath,
    storeRoot: input.storage.root,
    workDir: join(input.storage.root, 'REC'),
    keyFile,
    ...(bucket ? { bucket: new RecordingBucket({ ...bucket, region: 'us-east-1', forcePathStyle: true }) } : {}),
  };
}

/** A CLI process (`recorder …`), its output appended to `base/<logName>.log`. */
export function startCli(base: string, args: readonly string[], logName: string, children: Set<ChildProcess>): ChildProcess {
  const out = openSync(join(base, `${logName}.log`), 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, stdio: ['ignore', out, out] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Captures on the tenant's drive now. */
export function onDrive(tenant: Tenant): number {
  return readdirSync(tenant.endpoints.recDir).length;
}

/** What the tenant's running service says (status file), or undefined when it does not run. */
export async function tenantStatus(tenant: Tenant) {
  const reading = await readStatus(tenant.workDir);
  return reading.kind === 'found' && reading.running ? reading.status : undefined;
}

/**
 * Why a tenant is not drained, for a failure message: captures on its drive, what its status says is waiting,
 * and each unfinished journal item with its state and the last thing recorded about it.
 */
export async function tenantBacklog(tenant: Tenant): Promise<string> {
  const status = await tenantStatus(tenant);
  const journal = await readJournal(join(tenant.workDir, 'journal.jsonl')).catch((error: unknown) => error as Error);
  const items = journal instanceof Error ? [] : [...journal.items.values()].filter((item) => !['source-deleted', 'quarantined', 'discarded'].includes(item.state));
  const lines = items.slice(0, 15).map((item) => `  ${item.key}: ${item.state} updated ${item.updated.toISOString()} ${JSON.stringify(item.data).slice(0, 240)}`);
  return [
    `${tenant.name}: ${onDrive(tenant)} on the drive; status ${status ? JSON.stringify({ capturesWaiting: status.capturesWaiting, lamps: status.lamps, errors: status.recentErrors.slice(-3) }) : 'not running'}`,
    journal instanceof Error ? `  journal: ${journal.message}` : `  ${items.length} unfinished journal items${items.length > 15 ? ' (first 15)' : ''}:`,
    ...lines,
  ].join('\n');
}

/** Whether the tenant's calls are all taken off its drive and processed. */
export async function tenantDrained(tenant: Tenant): Promise<boolean> {
  return onDrive(tenant) === 0 && (await tenantStatus(tenant))?.capturesWaiting === 0;
}

/**
 * The tenant's store against its calls, opened with `keyFile` (default its own key). A tenant with a bucket: its
 * objects, copied into a tree of the store's layout, are audited, and its store's own tree must hold no recording.
 */
export async function auditTenant(tenant: Tenant, keyFile = tenant.keyFile): Promise<StoreAudit & { expected: number; leftInTree?: number }> {
  const expected = expectedCaptures(tenant.pbx.calls, defaultDirectory()).filter((e) => e.agent !== null);
  const keyring = await readKeyring([keyFile]);
  if (!tenant.bucket) return { ...(await auditStore(tenant.storeRoot, expected, keyring)), expected: expected.length };
  const mirror = join(dirname(tenant.storeRoot), 'bucket-mirror');
  rmSync(mirror, { recursive: true, force: true });
  for (const month of await tenant.bucket.months()) {
    mkdirSync(join(mirror, month), { recursive: true });
    for (const object of await tenant.bucket.list(month)) await tenant.bucket.download(month, object.file, join(mirror, month, object.file));
  }
  return { ...(await auditStore(mirror, expected, keyring)), expected: expected.length, leftInTree: scanStore(tenant.storeRoot).audio.size };
}
