// One embedded PBX and one in-process recorder for a fault test: small scripted runs of plain calls, started,
// checked and stopped the same way in each case.
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../../src/embedded/index.js';
import type { EmbeddedPbxEndpoints, PbxDirectory, Scenario, ScenarioCall } from '../../../src/embedded/index.js';
import type { RecorderConfig } from '../../../src/platform/config/index.js';
import { RecorderService } from '../../../src/recorder/service/index.js';
import type { FiledEvent, RecorderServiceOptions } from '../../../src/recorder/service/index.js';
import { LampWatch, auditRunningStore, capturingLogger, cdrInterfaceOnPort, expectedCaptures, freePort, serviceConfig, until } from './service-harness.js';
import type { ExpectedCapture, ServiceConfigOptions } from './service-harness.js';

const E = '0070317300912';
const E2 = '00891234567';

/** Plain inbound and outbound calls of Agents and Users, `gapSeconds` apart (agents' calls are filed, users' discarded). */
export function plainCalls(count: number, gapSeconds = 4, firstAt = 1): ScenarioCall[] {
  const shapes: Omit<ScenarioCall, 'at'>[] = [
    { kind: 'inbound', from: E, to: '20' },
    { kind: 'inbound', from: E2, to: '30' },
    { kind: 'outbound', from: '21', to: E2 },
    { kind: 'inbound', from: E2, to: '22' },
    { kind: 'outbound', from: '31', to: E },
    { kind: 'outbound', from: '25', to: E },
  ];
  return Array.from({ length: count }, (_, i) => ({ ...shapes[i % shapes.length]!, at: firstAt + i * gapSeconds, ringSeconds: 2, talkSeconds: 8 }));
}

export interface FaultPair {
  readonly base: string;
  readonly pbx: EmbeddedPbx;
  readonly endpoints: EmbeddedPbxEndpoints;
  readonly directory: PbxDirectory;
  readonly config: RecorderConfig;
  readonly service: RecorderService;
  readonly lamps: LampWatch;
  readonly records: Record<string, unknown>[];
  readonly filed: FiledEvent[];
  expected(): ExpectedCapture[];
  /** Captures on the drive now (both drives with a standby PBX). */
  onDrive(): string[];
  /** Wait until the drive is empty and the journal has nothing pending. */
  drained(timeoutMs: number): Promise<void>;
  audit(): ReturnType<typeof auditRunningStore>;
  close(): Promise<void>;
}

export interface FaultPairOptions {
  readonly scenario: Scenario;
  readonly speed?: number;
  readonly standby?: boolean;
  readonly config?: ServiceConfigOptions;
  readonly service?: Partial<Omit<RecorderServiceOptions, 'config' | 'logger' | 'onFiled'>>;
  /** Runs before the recorder starts, with the folder its store will be in (e.g. to mount a small file system there). */
  readonly beforeStart?: (storeRoot: string) => Promise<void> | void;
}

export async function startFaultPair(options: FaultPairOptions): Promise<FaultPair> {
  const base = await mkdtemp(join(tmpdir(), 'service-faults-'));
  const directory = defaultDirectory();
  const pbx = new EmbeddedPbx({ scenario: options.scenario, directory, driveRoot: join(base, 'drive'), speed: options.speed ?? 20, captureFlushMs: 50, ...(options.standby ? { standby: true } : {}) });
  const endpoints = await pbx.start();
  // The recorder is a CDR interface of the PBX (phone captures need the device the CDRs name), on one port for
  // the pair's life, so a restarted recorder gets what the PBX kept while it was down.
  const cdrPort = await freePort();
  const config = serviceConfig(base, endpoints, { ...(options.standby ? { standby: true } : {}), cdrInterface: cdrPort, ...options.config });
  if (config.cdrInterface) pbx.addCdrInterface(cdrInterfaceOnPort(cdrPort));
  await options.beforeStart?.(config.storage.root);
  const { logger, records } = capturingLogger('info');
  const filed: FiledEvent[] = [];
  const service = new RecorderService({ config, logger, pollMs: 200, longRetryMs: 500, reportingRetryMs: 300, endedSettleMs: 150, settleMs: 600, ...options.service, onFiled: (event) => filed.push(event) });
  await service.start();
  const lamps = new LampWatch(service);
  let closed = false;
  const pair: FaultPair = {
    base,
    pbx,
    endpoints,
    directory,
    config,
    service,
    lamps,
    records,
    filed,
    expected: () => expectedCaptures(pbx.calls, directory),
    onDrive: () => [endpoints.recDir, ...(endpoints.standbyRecDir ? [endpoints.standbyRecDir] : [])].flatMap((dir) => readdirSync(dir)),
    drained: (timeoutMs) => until(() => pair.onDrive().length === 0 && service.status().pending === 0, timeoutMs, 'the drive emptied and every capture processed'),
    audit: () => auditRunningStore(config.storage.root, expectedCaptures(pbx.calls, directory)),
    close: async () => {
      if (closed) return;
      closed = true;
      lamps.stop();
      await service.stop();
      await pbx.stop();
      await rm(base, { recursive: true, force: true });
    },
  };
  // Both links up before any fault is switched on.
  await until(() => service.status().lamps.PBX === 'green' && service.status().lamps.PCAP === 'green', 15_000, 'the PBX link and the drive');
  return pair;
}

/** The log records with this message. */
export function logged(records: readonly Record<string, unknown>[], msg: string): Record<string, unknown>[] {
  return records.filter((record) => record.msg === msg);
}

/** Every expected recording filed once, whole, with its sidecar and in the index; nothing quarantined; all lamps green again. */
export async function expectAllRecorded(p: FaultPair): Promise<void> {
  const expected = p.expected();
  const toFile = expected.filter((e) => e.agent !== null);
  expect(toFile.length).toBeGreaterThan(0);
  const audit = await p.audit();
  expect(audit).toMatchObject({ lost: [], duplicated: [], unexpected: [], corrupt: [], truncated: [], withoutSidecar: [], strays: [] });
  expect(audit.filed).toBe(toFile.length);
  const status = p.service.status();
  expect(status.counters).toMatchObject({ filed: toFile.length, quarantined: 0, discarded: expected.length - toFile.length });
  expect(status.lamps).toMatchObject({ PBX: 'green', REP: 'green', PCAP: 'green', DISK: 'green', SOFTWARE: 'green' });
  expect(p.service.recordings!.search({ limit: 1000 }).total).toBe(toFile.length);
}
