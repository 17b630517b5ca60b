// A recording platform for three tenants: `recorder run -c acme -c bravo -c corp` in one process, each tenant with
// its own embedded PBX, store, keys and job queue on one Redis, and two `recorder worker -c … -c … -c …` processes
// converting for all three. Bravo's PBX drive is down and Corp's store is a tmpfs too small for its calls: Acme
// records all its calls meanwhile; once Bravo's drive answers and Corp's disk grows, they catch up. Each tenant's
// recordings are in its own store only, sealed with its own key, and its player shows its own calls only.
import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EmbeddedPbx } from '../../src/embedded/index.js';
import { validateConfig } from '../../src/platform/config/index.js';
import { readKeyring } from '../../src/platform/crypto/index.js';
import { PlayerServer } from '../../src/player/index.js';
import { openRecordings } from '../../src/recordings/index.js';
import { setFaults, until } from './helpers/service-harness.js';
import { plainCalls } from './helpers/fault-pair.js';
import { auditTenant, makeTenant, onDrive, startCli, tenantDrained, tenantStatus } from './helpers/tenants.js';
import type { Tenant } from './helpers/tenants.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { runInProcess } from '../helpers/in-process-cli.js';

const base = mkdtempSync(join(tmpdir(), 'tenants-'));
const children = new Set<ChildProcess>();
const pbxs: EmbeddedPbx[] = [];
let redis: TestRedis | undefined;
let mounted: string | undefined;
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.allSettled(pbxs.map((pbx) => pbx.stop()));
  await redis?.stop();
  if (mounted) spawnSync('umount', ['-l', mounted]);
  if (!process.env.KEEP_TEST_FILES) rmSync(base, { recursive: true, force: true });
});

describe('recorder run for three tenants with recorder worker processes', () => {
  it("records every tenant's calls in its own store; one tenant's dead drive or full disk stalls no other", { timeout: 240_000 }, async () => {
    redis = await startRedis();
    const tenants: Tenant[] = [];
    for (const [i, name] of ['acme', 'bravo', 'corp'].entries()) {
      const tenant = await makeTenant(base, name, { redis: redis.url, seed: 60 + i, calls: plainCalls(10, 2).map((call) => ({ ...call, talkSeconds: 20 })) });
      pbxs.push(tenant.pbx);
      tenants.push(tenant);
    }
    const [acme, bravo, corp] = tenants as [Tenant, Tenant, Tenant];
    // Corp's store: a file system too small for its calls (its quota), Bravo's drive: unreachable.
    mkdirSync(corp.storeRoot, { recursive: true });
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=600k,mode=0700', 'tmpfs', corp.storeRoot], { encoding: 'utf8' });
    if (mount.status !== 0 && process.env.CI) throw new Error(`cannot mount a tmpfs for the quota case: ${mount.stderr.trim()}`);
    if (mount.status === 0) mounted = corp.storeRoot;
    await setFaults(bravo.endpoints, { webdavDown: true });

    // Two tenants may not share a folder: refused before anything starts.
    const clash = join(base, 'clash.json');
    writeFileSync(clash, JSON.stringify({ ...JSON.parse(readFileSync(acme.configPath, 'utf8')), tenant: 'clash', cdrInterface: undefined }));
    const refused = await runInProcess(['run', '-c', acme.configPath, '-c', clash, '--check']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/tenants acme and clash share the folder .*store: each needs its own/);

    const configs = tenants.flatMap((tenant) => ['-c', tenant.configPath]);
    startCli(base, ['run', ...configs], 'platform', children);
    startCli(base, ['worker', ...configs, '--concurrency', '1'], 'worker-1', children);
    startCli(base, ['worker', ...configs, '--concurrency', '1'], 'worker-2', children);
    const lamps = async (tenant: Tenant) => (await tenantStatus(tenant))?.lamps;
    // A loaded machine starts three services (and compiles the CLI) slowly; the log says why when one does not run.
    await until(async () => (await Promise.all(tenants.map(tenantStatus))).every((status) => status !== undefined), 150_000, 'every tenant running').catch((error: unknown) => {
      throw new Error(`${String(error)}; the platform's log ends: ${readFileSync(join(base, 'platform.log'), 'utf8').slice(-3000)}`);
    });

    await Promise.all(tenants.map((tenant) => tenant.pbx.run()));
    // Acme records everything while Bravo's drive is down and Corp's disk is full.
    await until(() => tenantDrained(acme), 60_000, "Acme's calls all recorded");
    const acmeAudit = await auditTenant(acme);
    expect(acmeAudit).toMatchObject({ filed: acmeAudit.expected, lost: [], duplicated: [], unexpected: [], corrupt: [] });
    expect(onDrive(bravo)).toBeGreaterThan(0);
    await until(async () => (await lamps(bravo))?.PCAP === 'red', 20_000, "Bravo's PCAP lamp red");
    if (mounted) {
      await until(async () => (await lamps(corp))?.DISK === 'red', 60_000, "Corp's DISK lamp red");
      expect(onDrive(corp)).toBeGreaterThan(0);
    }
    expect(await lamps(acme)).toMatchObject({ PCAP: 'green', DISK: 'green' });

    // Bravo's drive answers again, Corp's disk grows: both catch up.
    await setFaults(bravo.endpoints, { webdavDown: false });
    if (mounted) expect(spawnSync('mount', ['-o', 'remount,size=64m', corp.storeRoot]).status).toBe(0);
    for (const tenant of [bravo, corp]) await until(() => tenantDrained(tenant), 120_000, `${tenant.name}'s calls all recorded`);

    const counts: string[] = [];
    for (const tenant of tenants) {
      // Sealed with the tenant's own key: another tenant's key opens none of them.
      const audit = await auditTenant(tenant);
      expect(audit, tenant.name).toMatchObject({ filed: audit.expected, lost: [], duplicated: [], unexpected: [], corrupt: [], truncated: [] });
      const other = tenants.find((t) => t !== tenant)!;
      expect((await auditTenant(tenant, other.keyFile)).corrupt.length, `${tenant.name} opened with ${other.name}'s key`).toBe(audit.expected);
      counts.push(`${tenant.name} ${audit.filed}`);
    }
    console.log(`tenants: ${counts.join(', ')} recordings, each in its own store; Bravo's drive down and Corp's disk full meanwhile`);

    // Each tenant's player: its accounts see its own calls only.
    for (const tenant of [acme, bravo]) {
      const config = validateConfig(JSON.parse(readFileSync(tenant.configPath, 'utf8')), tenant.configPath, dirname(tenant.configPath));
      const recordings = await openRecordings(config, await readKeyring([tenant.keyFile]), { follow: false });
      const server = new PlayerServer({ recordings, accountsPath: join(base, `${tenant.name}-accounts.sqlite`), host: '127.0.0.1', port: 0 });
      try {
        const { url } = await server.listen();
        await server.accounts.add({ name: `${tenant.name}-supervisor`, password: 'correct horse battery', role: 'supervisor' });
        const login = await fetch(new URL('/api/login', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: `${tenant.name}-supervisor`, password: 'correct horse battery' }) });
        const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
        expect(login.status).toBe(200);
        const answer = await fetch(new URL('/api/recordings?limit=100', url), { headers: { cookie } });
        const body = (await answer.json()) as { rows: Array<{ callId: string }> };
        expect(answer.status, JSON.stringify(body)).toBe(200);
        const { rows } = body;
        const ownCalls = new Set(tenant.pbx.calls.map((call) => call.confId));
        expect(rows.length).toBeGreaterThan(0);
        for (const row of rows) expect(ownCalls.has(row.callId), `${tenant.name} sees ${row.callId}`).toBe(true);
      } finally {
        await server.close();
        await recordings.close();
      }
    }
  });
});
