// The live demo behind `npm start`: embedded PBX placing calls, the recorder filing them, the player showing them.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { validateConfig } from '../platform/config/index.js';
import { generateKeyFile, readKeyring } from '../platform/crypto/index.js';
import { EmbeddedAppServer, EmbeddedPbx, defaultDirectory, planCalls, randomScenario } from '../embedded/index.js';
import type { EmbeddedPbxEndpoints, PbxDirectory, Scenario } from '../embedded/index.js';
import { AccountStore, PlayerLink, PlayerServer, defaultAccountsPath } from '../player/index.js';
import { RecorderService } from '../recorder/service/index.js';
import type { FiledEvent } from '../recorder/service/index.js';

export interface DemoOptions {
  /** Where the demo keeps its drive, recordings and index (default out/demo). */
  readonly directory?: string;
  readonly calls?: number;
  readonly seed?: number;
  /** Simulated seconds per real second (default 4: a minute-long call takes 15 s). */
  readonly speed?: number;
  /** Mean seconds (simulated) between calls. */
  readonly gapSeconds?: number;
  /** Player port (default 8080, or any free port when that is taken). */
  readonly port?: number;
  readonly logger?: Logger;
  readonly onFiled?: (event: FiledEvent) => void;
  /**
   * The recording mode (default std); random keeps every 3rd call of the system and every 2nd of an agent; tcr
   * keeps the calls agents mark (the simulator marks about one call in sixteen, during or after it); pcap keeps
   * each call's capture as its recording (the player renders it to play); tan records as std with agents entering
   * a TAN in half the calls (searchable and editable in the player).
   */
  readonly mode?: DemoMode;
}

export const DEMO_MODES = ['std', 'tcr', 'random', 'tan', 'pcap'] as const;
export type DemoMode = (typeof DEMO_MODES)[number];
/** Random recording in the demo: the reference's example (3rd call in the system, 2nd of an agent). */
export const DEMO_RANDOM = { systemEvery: 3, agentEvery: 2 } as const;

export interface RunningDemo {
  readonly pbx: EmbeddedPbx;
  readonly service: RecorderService;
  readonly endpoints: EmbeddedPbxEndpoints;
  readonly storeRoot: string;
  readonly playerUrl: string;
  /** The embedded AppServer the player link connects to (FRST/LAST, TRAC…), and its web page. */
  readonly appServer: EmbeddedAppServer;
  readonly appServerUrl: string;
  readonly playerLink: PlayerLink;
  /** Demo accounts of the player: name, password, what they see. */
  readonly accounts: readonly { readonly name: string; readonly password: string; readonly sees: string }[];
  /** Resolves when every planned call has been placed. */
  readonly calls: Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * Where the demo's simulated clock starts: as far back as the accelerated run gains on the wall clock, so the
 * last call ends about now and no recording is dated in the future (at 4×, a 30-minute run starts ~22 min ago).
 */
export function demoStartTime(scenario: Scenario, directory: PbxDirectory, speed: number, now: number): number {
  const span = Math.max(0, ...planCalls(directory, scenario, 0).map((call) => call.setupTime + call.endAt));
  return now - Math.round(span * Math.max(0, 1 - 1 / speed));
}

/** The credentials the demo's PBX posts CDRs with (loopback only). */
const DEMO_CDR_USER = 'pbx-cdr';
const DEMO_CDR_PASSWORD = 'demo-cdr-password';

export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const base = resolve(options.directory ?? 'out/demo');
  await mkdir(base, { recursive: true });
  const directory = defaultDirectory();
  const scenario = randomScenario(directory, {
    calls: options.calls ?? 200,
    seed: options.seed ?? Date.now() % 100_000,
    meanGapSeconds: options.gapSeconds ?? 10,
    ...(options.mode === 'tan' ? { tanShare: 0.5 } : {}),
  });
  const speed = options.speed ?? 4;
  const pbx = new EmbeddedPbx({ scenario, directory, driveRoot: join(base, 'pbx-drive'), speed, startTime: demoStartTime(scenario, directory, speed, Date.now()) });
  const endpoints = await pbx.start();
  const storeRoot = join(base, 'recordings');
  // Encrypted and signed as a careful site runs it, so the player's integrity badges say "verified": a key made
  // once for the demo's folder (kept for its next runs, which open the same store).
  const keyFile = join(base, 'demo.key');
  if (!existsSync(keyFile)) await generateKeyFile(keyFile);
  const keyring = await readKeyring([keyFile]);
  const config = validateConfig(
    {
      encryption: { enabled: true, keyFiles: [keyFile] },
      pbx: { url: endpoints.soapUrl, username: endpoints.username, password: endpoints.password },
      reporting: { url: endpoints.reportingUrl, username: endpoints.username, password: endpoints.password },
      drive: { kind: 'webdav', url: endpoints.recUrl, username: endpoints.username, password: endpoints.password, pollSeconds: 1, graceSeconds: 1 },
      storage: { root: storeRoot },
      // TAN is no recording mode of its own (the TAN comes with the call in every mode): the demo's tan mode records as std.
      recording: options.mode === 'pcap' ? { format: 'pcap' } : { format: 'wav', encoding: 'pcm16', mode: options.mode === 'tan' || options.mode === undefined ? 'std' : options.mode },
      ...(options.mode === 'random' ? { random: DEMO_RANDOM } : {}),
      ...(options.mode === 'tcr' && endpoints.tcrNumber !== undefined ? { tcr: { number: endpoints.tcrNumber, markWindowSeconds: 300 } } : {}),
      log: { level: 'warn' },
      ...(endpoints.tanPrefix !== undefined ? { tan: { prefix: endpoints.tanPrefix } } : {}),
      // The PBX posts each call's CDRs to the recorder at the call's end; the reporting stays the fallback.
      cdrInterface: { port: 0, username: DEMO_CDR_USER, password: DEMO_CDR_PASSWORD },
    },
    'demo',
    base,
  );
  let server: PlayerServer | undefined;
  // The player hears of each filed recording through the recordings' change feed.
  const service = new RecorderService({ config, keyring, logger: options.logger ?? pino({ level: 'warn' }), pollMs: 500, ...(options.onFiled ? { onFiled: options.onFiled } : {}) });
  await service.start();
  pbx.addCdrInterface({ url: service.cdrInterfaceUrl!, username: DEMO_CDR_USER, password: DEMO_CDR_PASSWORD });
  const accountsPath = defaultAccountsPath(config.storage.indexPath);
  const accounts = await demoAccounts(accountsPath);
  const serverOptions = { recordings: service.recordings!, accountsPath, statusDir: config.storage.workDir };
  let playerUrl: string;
  try {
    server = new PlayerServer({ ...serverOptions, port: options.port ?? 8080 });
    playerUrl = (await server.listen()).url;
  } catch (error) {
    await server?.close(); // its accounts database is open
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.port !== undefined) throw error;
    server = new PlayerServer({ ...serverOptions, port: 0 });
    playerUrl = (await server.listen()).url;
  }
  // The player link to an embedded AppServer: each call's FRST and LAST appear on its page, whose play buttons
  // send TRAC to the demo's player (named after its account: "supervisor").
  const appServer = new EmbeddedAppServer({ webPort: 0 });
  const { address, webUrl } = await appServer.start();
  const colon = address.lastIndexOf(':');
  const playerLink = new PlayerLink({
    recordings: service.recordings!,
    server,
    logger: options.logger ?? pino({ level: 'warn' }),
    appServer: { host: address.slice(0, colon), port: Number(address.slice(colon + 1)), keepAliveSeconds: 30 },
  });
  await playerLink.start();
  const controller = new AbortController();
  const calls = pbx.run({ signal: controller.signal });
  return {
    pbx,
    service,
    endpoints,
    storeRoot,
    playerUrl,
    appServer,
    appServerUrl: `${webUrl!}/`,
    playerLink,
    accounts,
    calls,
    stop: async () => {
      controller.abort(new Error('demo stopped'));
      await calls.catch(() => undefined);
      await playerLink.stop();
      await appServer.stop();
      await server?.close();
      await service.stop();
      await pbx.stop();
    },
  };
}

/** A supervisor who sees every call and an agent who sees their own, created once. */
async function demoAccounts(path: string): Promise<RunningDemo['accounts']> {
  const wanted = [
    { name: 'supervisor', password: 'supervisor-demo', sees: 'all calls', role: 'supervisor' as const, numbers: [] as string[] },
    { name: 'agent20', password: 'agent20-demo', sees: 'the calls of agent 20', role: 'agent' as const, numbers: ['20'] },
  ];
  const store = new AccountStore(path);
  try {
    for (const account of wanted) {
      if (store.get(account.name)) continue;
      await store.add({ name: account.name, password: account.password, role: account.role, numbers: account.numbers, permissions: ['tan', 'notes', 'export'] });
    }
  } finally {
    store.close();
  }
  return wanted.map(({ name, password, sees }) => ({ name, password, sees }));
}
