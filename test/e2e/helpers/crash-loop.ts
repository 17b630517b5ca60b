// Crash safety of `recorder run`: the recorder runs as its own process (from source, via tsx) against an embedded
// PBX in this process, and is killed with SIGKILL at seeded random moments and started again, until every call of
// the run is done. Then the store, the index, the journal and the drive are audited.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedPbx, cdrsFor, defaultDirectory, planCalls, randomScenario } from '../../../src/embedded/index.js';
import type { Scenario } from '../../../src/embedded/index.js';
import { validateConfig } from '../../../src/platform/config/index.js';
import { Keyring, generateKeyFile, hasContainerMagic } from '../../../src/platform/crypto/index.js';
import { RecordingIndex } from '../../../src/recordings/index.js';
import { readJournal } from '../../../src/recorder/service/index.js';
import { mulberry32 } from '../../../src/platform/util/index.js';
import { auditStore, cdrInterfaceOnPort, expectedCaptures, filesUnder, freePort, serviceConfigInput, until } from './service-harness.js';
import type { StoreAudit } from './service-harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = join(ROOT, 'test/helpers/run-cli.ts');

export interface CrashLoopOptions {
  readonly calls: number;
  readonly kills: number;
  readonly seed: number;
  /** Simulated seconds per real second of the PBX. */
  readonly speed?: number;
  /** Mean simulated seconds between call setups. */
  readonly meanGapSeconds?: number;
  /** Real ms after a recorder's service started (its log says so) at which it is killed: uniform in [min, max]. */
  readonly killAfterMs?: readonly [number, number];
  /** Share of kills that hit the recorder while it starts up instead (uniform in its first second). */
  readonly startupKills?: number;
  /** Longest wait for the final recorder to finish everything (ms). */
  readonly drainTimeoutMs?: number;
  /** Keep the temporary directory (for a look at the logs). */
  readonly keep?: boolean;
  /** Encryption on (a generated key file): recordings are audited as what they decrypt to, and at every kill the working folders are looked at for anything readable. */
  readonly encrypted?: boolean;
  readonly log?: (line: string) => void;
}

export interface CrashLoopReport extends StoreAudit {
  readonly base: string;
  readonly calls: number;
  readonly captures: number;
  readonly expectedRecordings: number;
  readonly kills: number;
  /** Kills while there was work: the PBX still playing calls, or captures on the drive. */
  readonly killsDuringWork: number;
  /** Recorder processes started (kills + the last one). */
  readonly starts: number;
  readonly leftOnDrive: string[];
  readonly quarantined: number;
  readonly indexed: number;
  /** Captures whose journal item did not end as expected (filed → source-deleted, else discarded). */
  readonly journalMismatches: string[];
  /** Files or folders the recorder created that others than its user may read (it runs with umask 077). */
  readonly looseModes: string[];
  /** With encryption on: working files found readable (not an encrypted container) right after a kill. */
  readonly plaintextAtKill: string[];
  readonly seconds: number;
}

/**
 * A seeded random run without calls that have no CDR (the CLI's shortest long retry is a minute, and such a call
 * is only quarantined after the last one): every capture is filed or discarded within seconds.
 */
export function crashScenario(calls: number, seed: number, meanGapSeconds: number): Scenario {
  const directory = defaultDirectory();
  const scenario = randomScenario(directory, { calls: Math.ceil(calls * 1.3) + 5, seed, meanGapSeconds });
  const planned = planCalls(directory, scenario, Date.UTC(2024, 0, 1));
  const kept = scenario.calls.filter((_, i) => cdrsFor(planned[i]!, directory).length > 0).slice(0, calls);
  if (kept.length < calls) throw new Error(`crashScenario: only ${kept.length} of ${calls} calls have CDRs`);
  const first = kept[0]!.at - 1;
  return { seed, calls: kept.map((call) => ({ ...call, at: call.at - first })) };
}

function looseModes(root: string): string[] {
  const loose: string[] = [];
  const walk = (path: string): void => {
    const info = statSync(path);
    if ((info.mode & 0o077) !== 0) loose.push(`${path} ${(info.mode & 0o777).toString(8)}`);
    if (info.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(root);
  return loose;
}

/**
 * Working files (capture copies, recordings waiting to be filed) that are not encrypted containers. A sealed file
 * cut by a kill before its first write, or a recording whose header is written last, starts with zeros: not readable.
 */
function readableWorkFiles(workDir: string): string[] {
  const found: string[] = [];
  for (const path of [...filesUnder(join(workDir, 'captures')), ...filesUnder(join(workDir, 'out'))]) {
    const head = readFileSync(path).subarray(0, 8);
    if (head.length === 0 || hasContainerMagic(head) || head.every((b) => b === 0)) continue;
    found.push(`${path}: starts ${head.toString('hex')}`);
  }
  return found;
}

export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopReport> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const base = await mkdtemp(join(tmpdir(), 'service-crash-'));
  const random = mulberry32(options.seed >>> 0);
  const [killMin, killMax] = options.killAfterMs ?? [1000, 6000];
  const directory = defaultDirectory();
  const scenario = crashScenario(options.calls, options.seed, options.meanGapSeconds ?? 3);
  const pbx = new EmbeddedPbx({ scenario, directory, driveRoot: join(base, 'drive'), speed: options.speed ?? 10, captureFlushMs: 50 });
  const endpoints = await pbx.start();
  const keyFile = join(base, 'system.key');
  const keyring = options.encrypted ? new Keyring([await generateKeyFile(keyFile)]) : undefined;
  // The PBX posts CDRs to the recorder's CDR interface, on one port across every kill and restart (as a PBX's
  // configured interface is); what it could not deliver while the recorder was dead it sends again.
  const cdrPort = await freePort();
  pbx.addCdrInterface(cdrInterfaceOnPort(cdrPort));
  const configInput = { ...serviceConfigInput(base, endpoints, { logLevel: 'info', cdrInterface: cdrPort }), ...(keyring ? { encryption: { enabled: true, keyFiles: [keyFile] } } : {}) };
  const configPath = join(base, 'recorder.json');
  writeFileSync(configPath, JSON.stringify(configInput, null, 2));
  const config = validateConfig(configInput, configPath, base);
  const logDir = join(base, 'logs');
  mkdirSync(logDir, { recursive: true });

  let child: ChildProcess | undefined;
  let runs = 0;
  let logPath = '';
  const spawnRecorder = (): ChildProcess => {
    runs++;
    logPath = join(logDir, `run-${String(runs).padStart(3, '0')}.log`);
    const out = openSync(logPath, 'a');
    const process_ = spawn(process.execPath, ['--import', 'tsx', CLI, 'run', '-c', configPath], { cwd: ROOT, stdio: ['ignore', out, out] });
    closeSync(out);
    return process_;
  };
  const exited = (proc: ChildProcess): Promise<void> =>
    proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((resolve_) => proc.once('exit', () => resolve_()));

  let pbxDone = false;
  const run = pbx.run().then((result) => {
    pbxDone = true;
    return result;
  });
  let kills = 0;
  let killsDuringWork = 0;
  const plaintextAtKill: string[] = [];
  try {
    for (let k = 0; k < options.kills; k++) {
      child = spawnRecorder();
      const proc = child;
      const duringStartup = random() < (options.startupKills ?? 0.15);
      let delay: number;
      if (duringStartup) delay = random() * 1000;
      else {
        // Starting from source takes seconds: count from the moment the service runs.
        await until(() => proc.exitCode !== null || readFileSync(logPath, 'utf8').includes('"recorder starting"'), 60_000, 'the recorder to start');
        if (proc.exitCode !== null) throw new Error(`the recorder exited with ${proc.exitCode}; see ${logPath}`);
        delay = killMin + random() * (killMax - killMin);
      }
      await new Promise((resolve_) => setTimeout(resolve_, delay));
      const busy = !pbxDone || readdirSync(endpoints.recDir).length > 0;
      if (busy) killsDuringWork++;
      child.kill('SIGKILL');
      await exited(child);
      kills++;
      if (keyring) plaintextAtKill.push(...readableWorkFiles(config.storage.workDir));
      log(`kill ${kills}/${options.kills} ${duringStartup ? 'while starting, ' : ''}after ${Math.round(delay)} ms; drive ${readdirSync(endpoints.recDir).length} captures; PBX ${pbxDone ? 'done' : 'running'}`);
    }
    // The last recorder runs until everything is done, then stops as told.
    child = spawnRecorder();
    const result = await run;
    if (result.failures.length > 0) throw new Error(`PBX run failures: ${JSON.stringify(result.failures)}`);
    const expected = expectedCaptures(pbx.calls, directory);
    await until(
      async () => {
        if (readdirSync(endpoints.recDir).length > 0) return false;
        const journal = await readJournal(config.storage.journalPath);
        const finished = [...journal.items.values()].filter((item) => ['source-deleted', 'discarded', 'quarantined'].includes(item.state)).length;
        return finished >= expected.length && [...journal.items.values()].every((item) => ['source-deleted', 'discarded', 'quarantined'].includes(item.state));
      },
      options.drainTimeoutMs ?? 120_000,
      'the last recorder to finish every capture',
      200,
    );
    child.kill('SIGTERM');
    await exited(child);
    child = undefined;

    const audit = await auditStore(config.storage.root, expected, keyring);
    if (keyring) plaintextAtKill.push(...readableWorkFiles(config.storage.workDir));
    const journal = (await readJournal(config.storage.journalPath)).items;
    const journalMismatches: string[] = [];
    for (const e of expected) {
      const state = journal.get(e.capture.fileName)?.state;
      const want = e.agent !== null ? 'source-deleted' : 'discarded';
      if (state !== want) journalMismatches.push(`${e.capture.fileName}: ${state ?? 'absent'} (want ${want})`);
    }
    const index = new RecordingIndex(config.storage.indexPath);
    let indexed: number;
    try {
      indexed = index.search({ limit: 10_000 }).total;
    } finally {
      index.close();
    }
    let quarantined = 0;
    try {
      quarantined = readdirSync(join(config.storage.root, '_quarantine')).filter((name) => !name.endsWith('.reason.json')).length;
    } catch {
      quarantined = 0;
    }
    return {
      base,
      calls: pbx.calls.length,
      captures: expected.length,
      expectedRecordings: expected.filter((e) => e.agent !== null).length,
      kills,
      killsDuringWork,
      starts: runs,
      filed: audit.filed,
      lost: audit.lost,
      duplicated: audit.duplicated,
      unexpected: audit.unexpected,
      corrupt: audit.corrupt,
      truncated: audit.truncated,
      withoutSidecar: audit.withoutSidecar,
      strays: audit.strays,
      leftOnDrive: readdirSync(endpoints.recDir),
      quarantined,
      indexed,
      journalMismatches,
      looseModes: looseModes(config.storage.root),
      plaintextAtKill,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    if (child) {
      child.kill('SIGKILL');
      await exited(child);
    }
    await pbx.stop();
    if (!options.keep) await rm(base, { recursive: true, force: true });
  }
}
