// The live demo behind `npm start`: embedded PBX placing calls, the recorder filing them, the player showing them.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { validateConfig } from '../config/index.js';
import { EmbeddedPbx, defaultDirectory, randomScenario } from '../embedded/index.js';
import type { EmbeddedPbxEndpoints } from '../embedded/index.js';
import { RecorderService } from '../service/index.js';
import type { FiledEvent } from '../service/index.js';

export interface DemoOptions {
  /** Where the demo keeps its drive, recordings and index (default out/demo). */
  readonly directory?: string;
  readonly calls?: number;
  readonly seed?: number;
  /** Simulated seconds per real second (default 4: a minute-long call takes 15 s). */
  readonly speed?: number;
  /** Mean seconds (simulated) between calls. */
  readonly gapSeconds?: number;
  readonly logger?: Logger;
  readonly onFiled?: (event: FiledEvent) => void;
}

export interface RunningDemo {
  readonly pbx: EmbeddedPbx;
  readonly service: RecorderService;
  readonly endpoints: EmbeddedPbxEndpoints;
  readonly storeRoot: string;
  /** Resolves when every planned call has been placed. */
  readonly calls: Promise<unknown>;
  stop(): Promise<void>;
}

export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const base = resolve(options.directory ?? 'out/demo');
  await mkdir(base, { recursive: true });
  const directory = defaultDirectory();
  const scenario = randomScenario(directory, { calls: options.calls ?? 200, seed: options.seed ?? Date.now() % 100_000, meanGapSeconds: options.gapSeconds ?? 10 });
  const pbx = new EmbeddedPbx({ scenario, directory, driveRoot: join(base, 'pbx-drive'), speed: options.speed ?? 4 });
  const endpoints = await pbx.start();
  const storeRoot = join(base, 'recordings');
  const config = validateConfig(
    {
      pbx: { url: endpoints.soapUrl, username: endpoints.username, password: endpoints.password },
      reporting: { url: endpoints.reportingUrl, username: endpoints.username, password: endpoints.password },
      drive: { kind: 'webdav', url: endpoints.recUrl, username: endpoints.username, password: endpoints.password, pollSeconds: 1, graceSeconds: 1 },
      storage: { root: storeRoot },
      recording: { format: 'wav', encoding: 'pcm16' },
      log: { level: 'warn' },
    },
    'demo',
    base,
  );
  const service = new RecorderService({
    config,
    logger: options.logger ?? pino({ level: 'warn' }),
    pollMs: 500,
    ...(options.onFiled ? { onFiled: options.onFiled } : {}),
  });
  await service.start();
  const controller = new AbortController();
  const calls = pbx.run({ signal: controller.signal });
  return {
    pbx,
    service,
    endpoints,
    storeRoot,
    calls,
    stop: async () => {
      controller.abort(new Error('demo stopped'));
      await calls.catch(() => undefined);
      await service.stop();
      await pbx.stop();
    },
  };
}
