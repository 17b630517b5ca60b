import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { EmbeddedPbx, defaultDirectory, isLoopback, parseDirectory, parseScenario, randomScenario, summariseCall } from '../embedded/index.js';
import type { PbxDirectory, Scenario } from '../embedded/index.js';
import { CommandExit, EXIT_FAILED, EXIT_USAGE, positiveInteger } from './exit-codes.js';

interface PbxFlags {
  config?: string;
  scenario?: string;
  calls: number;
  seed: number;
  gap: number;
  speed: number;
  drive: string;
  host: string;
  portBase?: number;
  standby?: boolean;
  user?: string;
  password?: string;
  exit?: boolean;
  linger: number;
  start?: string;
  json?: boolean;
  cdrInterface?: string[];
}

/** `http://user:password@host:port/path` → the CDR interface the PBX posts to, credentials apart (loopback only). */
function cdrInterfaceTarget(value: string): { url: string; username?: string; password?: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected a URL such as http://user:password@127.0.0.1:8089/cdr');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http or https URL');
  if (!isLoopback(url.hostname)) throw new InvalidArgumentError(`${url.hostname} is not a loopback address; the embedded PBX talks to loopback only`);
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return { url: url.toString(), ...(username ? { username, password } : {}) };
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

export function registerPbxCommand(program: Command): void {
  program
    .command('pbx')
    .description('run the embedded PBX and gateway: SOAP, reporting, WebDAV drive with live captures, admin/fault endpoint')
    .option('--config <file>', 'PBX directory (users, trunks, groups, VM objects) as JSON; default: a small built-in call centre')
    .option('--scenario <file>', 'calls to place, as JSON {seed, calls:[…]}; default: random calls (--calls, --seed)')
    .option('--calls <n>', 'number of random calls', positiveInteger, 20)
    .option('--seed <n>', 'seed of the random calls and of everything random in the run', nonNegativeInteger, 1)
    .option('--gap <seconds>', 'mean seconds between random calls', positiveNumber, 8)
    .option('--speed <x>', 'simulated seconds per real second (accelerated time)', positiveNumber, 1)
    .option('--drive <dir>', 'directory holding the drive (captures in DRIVE/CF0/REC)', 'pbx-drive')
    .option('--host <address>', 'loopback address to listen on', '127.0.0.1')
    .option('--port-base <port>', 'listen on fixed ports: SOAP P, standby SOAP P+1, reporting P+2, WebDAV P+3, admin P+4, standby WebDAV P+5 (default: free ports)', positiveInteger)
    .option('--standby', 'also run a standby PBX (SOAP and its own drive); switch with the admin endpoint (activePbx)')
    .option('--user <name>', 'user name of every service')
    .option('--password <password>', 'password of every service')
    .option('--start <time>', 'simulated start time (ISO 8601); default now')
    .option('--exit', 'exit when all calls are done (default: keep serving until interrupted)')
    .option('--linger <seconds>', 'with --exit: keep serving this many seconds after the last call', nonNegativeInteger, 0)
    .option('--json', 'print the endpoints and the calls as JSON')
    .option('--cdr-interface <url...>', "post each call's CDR-XML to this CDR interface at the call's end, e.g. the recorder's: http://user:password@127.0.0.1:8089/cdr")
    .action(async (flags: PbxFlags) => {
      const say = (text: string): void => {
        if (!flags.json) process.stdout.write(`${text}\n`);
      };
      let directory: PbxDirectory;
      let scenario: Scenario;
      let startTime: number | undefined;
      try {
        directory = flags.config ? parseDirectory(JSON.parse(await readFile(flags.config, 'utf8')), flags.config) : defaultDirectory();
        scenario = flags.scenario
          ? parseScenario(await readFile(flags.scenario, 'utf8'), flags.scenario, directory)
          : randomScenario(directory, { calls: flags.calls, seed: flags.seed, meanGapSeconds: flags.gap });
        if (flags.start !== undefined) {
          startTime = Date.parse(flags.start);
          if (Number.isNaN(startTime)) throw new Error(`--start: not a date/time: ${flags.start}`);
        }
      } catch (error) {
        process.stderr.write(`recorder pbx: ${error instanceof Error ? error.message : String(error)}\n`);
        throw new CommandExit(EXIT_USAGE);
      }
      let cdrInterfaces: ReturnType<typeof cdrInterfaceTarget>[];
      try {
        cdrInterfaces = (flags.cdrInterface ?? []).map(cdrInterfaceTarget);
      } catch (error) {
        process.stderr.write(`recorder pbx: --cdr-interface: ${error instanceof Error ? error.message : String(error)}\n`);
        throw new CommandExit(EXIT_USAGE);
      }
      const base = flags.portBase;
      const pbx = new EmbeddedPbx({
        cdrInterfaces,
        scenario,
        directory,
        driveRoot: resolve(flags.drive),
        speed: flags.speed,
        host: flags.host,
        standby: flags.standby ?? false,
        ...(startTime !== undefined ? { startTime } : {}),
        ...(flags.user !== undefined ? { username: flags.user } : {}),
        ...(flags.password !== undefined ? { password: flags.password } : {}),
        ...(base !== undefined ? { ports: { soap: base, standbySoap: base + 1, reporting: base + 2, drive: base + 3, admin: base + 4, standbyDrive: base + 5 } } : {}),
      });
      const endpoints = await pbx.start();
      const controller = new AbortController();
      const interrupt = (): void => controller.abort(new Error('interrupted'));
      process.once('SIGINT', interrupt);
      process.once('SIGTERM', interrupt);
      say(`Embedded PBX "${directory.pbxName}" — ${pbx.calls.length} calls at ${flags.speed}x`);
      say(`  SOAP       ${endpoints.soapUrl}  (WSDL ${endpoints.wsdlUrl})`);
      if (endpoints.standbySoapUrl) say(`  standby    ${endpoints.standbySoapUrl}`);
      for (const target of cdrInterfaces) say(`  CDRs to    ${target.url}`);
      say(`  reporting  ${endpoints.reportingUrl}`);
      say(`  drive      ${endpoints.recUrl}  (files in ${endpoints.recDir})`);
      if (endpoints.standbyRecUrl) say(`  standby's  ${endpoints.standbyRecUrl}  (files in ${endpoints.standbyRecDir})`);
      say(`  admin      ${endpoints.adminUrl}/faults`);
      say(`  user ${endpoints.username}, password ${endpoints.password}`);
      try {
        const result = await pbx.run({
          signal: controller.signal,
          onCallDone: (call, done) => {
            const summary = summariseCall(call);
            say(
              `  [${done}/${pbx.calls.length}] ${String(summary.kind)} ${call.caller.number} → ${call.called.number}, ` +
                `${(call.endAt / 1000).toFixed(0)} s, ${call.captures.length} capture(s), ` +
                `agent ${call.expected.agent ?? '(none: deleted)'}${call.tan ? `, TAN ${call.tan}` : ''}`,
            );
          },
        });
        for (const failure of result.failures) process.stderr.write(`recorder pbx: call ${failure.confId}: ${failure.what}: ${failure.error}\n`);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ endpoints: { ...endpoints, password: undefined }, result, calls: pbx.calls.map(summariseCall) }, null, 2)}\n`);
        } else {
          say(`${result.calls} calls played, ${result.captures} captures written, ${result.events} SOAP call events, ${result.failures.length} failures`);
        }
        if (!result.aborted && !flags.exit) {
          say('All calls done; still serving (Ctrl-C to stop).');
          await new Promise<void>((resolveWait) => controller.signal.addEventListener('abort', () => resolveWait(), { once: true }));
        } else if (!result.aborted && flags.linger > 0) {
          await new Promise<void>((resolveWait) => {
            const timer = setTimeout(resolveWait, flags.linger * 1000);
            controller.signal.addEventListener('abort', () => (clearTimeout(timer), resolveWait()), { once: true });
          });
        }
        if (result.failures.length > 0) throw new CommandExit(EXIT_FAILED);
      } finally {
        process.off('SIGINT', interrupt);
        process.off('SIGTERM', interrupt);
        await pbx.stop();
      }
    });
}
