// The service's HTTP status endpoint ([status] port): GET /status, the status as JSON (what `recorder status --json`
// prints), and GET /metrics in Prometheus' text format (prom-client) for monitoring stacks. Read-only, no
// secrets in it; on loopback unless configured otherwise.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { closeHttp, listenHttp } from '../../platform/util/index.js';
import { LAMP_NAMES } from './master-alarm.js';
import type { StatusSnapshot } from './service-status.js';

const MASTER_STATES = ['starting', 'armed', 'triggered', 'off'] as const;
const COUNTERS = ['captured', 'filed', 'discarded', 'quarantined', 'callEndsWithoutCapture', 'decidedFromCdrInterface', 'decidedFromReporting'] as const;

export class StatusEndpoint {
  readonly #snapshot: () => StatusSnapshot;
  readonly #registry = new Registry();
  readonly #server: Server;
  #url: string | undefined;

  constructor(snapshot: () => StatusSnapshot) {
    this.#snapshot = snapshot;
    const registry = this.#registry;
    collectDefaultMetrics({ register: registry, prefix: 'recorder_process_' });
    // Gauges read the snapshot at scrape time: nothing to keep in step.
    new Gauge({
      name: 'recorder_lamp_red',
      help: 'Whether a status lamp is red (1), green (0) or not in use (-1)',
      labelNames: ['lamp'],
      registers: [registry],
      collect: function (this: Gauge<'lamp'>) {
        const lamps = snapshot().lamps;
        for (const lamp of LAMP_NAMES) this.set({ lamp }, lamps[lamp] === 'red' ? 1 : lamps[lamp] === 'grey' ? -1 : 0);
      },
    });
    new Gauge({
      name: 'recorder_master_alarm',
      help: 'The master alarm: 1 for its current state',
      labelNames: ['state'],
      registers: [registry],
      collect: function (this: Gauge<'state'>) {
        const state = snapshot().master.state;
        for (const s of MASTER_STATES) this.set({ state: s }, s === state ? 1 : 0);
      },
    });
    const gauge = (name: string, help: string, read: (s: StatusSnapshot) => number | undefined): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect: function (this: Gauge) {
          const value = read(snapshot());
          if (value !== undefined) this.set(value);
        },
      });
    };
    gauge('recorder_channels_in_recording', 'Calls with a leg up on the PBX now', (s) => s.channelsInRecording);
    gauge('recorder_captures_waiting', 'Captures not finished yet', (s) => s.capturesWaiting);
    gauge('recorder_store_free_bytes', "Free bytes on the store's file system", (s) => s.disk?.freeBytes);
    gauge('recorder_store_size_bytes', "Size of the store's file system", (s) => s.disk?.totalBytes);
    new Gauge({
      name: 'recorder_queue_jobs',
      help: "Conversion jobs in the job queue by state ([cluster]; failed = dead letters)",
      labelNames: ['state'],
      registers: [registry],
      collect: function (this: Gauge<'state'>) {
        const cluster = snapshot().cluster;
        if (!cluster?.reachable) return;
        for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) this.set({ state }, cluster[state]);
      },
    });
    gauge('recorder_queue_workers', 'Worker connections to the job queue ([cluster])', (s) => (s.cluster?.reachable ? s.cluster.workers : undefined));
    gauge('recorder_queue_reachable', 'Whether the job queue (Redis) answers: 1 yes, 0 no ([cluster])', (s) => (s.cluster ? (s.cluster.reachable ? 1 : 0) : undefined));
    new Counter({
      name: 'recorder_captures_total',
      help: 'Captures by outcome since the service started',
      labelNames: ['outcome'],
      registers: [registry],
      collect: function (this: Counter<'outcome'>) {
        const counters = snapshot().counters;
        this.reset();
        for (const outcome of COUNTERS) this.inc({ outcome }, counters[outcome]);
      },
    });
    this.#server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://status').pathname;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/status') {
        response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
        response.end(`${JSON.stringify(this.#snapshot())}\n`);
        return;
      }
      if (path === '/metrics') {
        this.#registry.metrics().then(
          (text) => {
            response.writeHead(200, { 'Content-Type': this.#registry.contentType, 'Cache-Control': 'no-store' });
            response.end(text);
          },
          (error: unknown) => {
            response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
            response.end(`metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
          },
        );
        return;
      }
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('GET /status or /metrics\n');
    });
  }

  get url(): string | undefined {
    return this.#url;
  }

  async listen(port: number, host: string): Promise<string> {
    this.#url = await listenHttp(this.#server, port, host);
    return this.#url;
  }

  async close(): Promise<void> {
    if (this.#url !== undefined) await closeHttp(this.#server);
  }
}
