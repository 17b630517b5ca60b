import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeHttp, listenHttp } from '../../platform/util/index.js';
import { z } from 'zod';
import type { FaultState } from '../model.js';

/** What the admin endpoint can report besides the faults. */
export interface AdminStatusSource {
  status(): unknown;
  calls(): unknown;
}

export interface AdminServerOptions {
  readonly faults: FaultState;
  readonly source: AdminStatusSource;
  readonly username?: string;
  readonly password?: string;
}

const faultPatch = z
  .object({
    soapDown: z.boolean(),
    reportingDown: z.boolean(),
    reportingDelayMs: z.number().int().min(0).max(7 * 24 * 3600 * 1000),
    webdavDown: z.boolean(),
    standbyWebdavDown: z.boolean(),
    driveSlowMs: z.number().int().min(0).max(600_000),
    clockSkewMs: z.number().int().min(-7 * 24 * 3600 * 1000).max(7 * 24 * 3600 * 1000),
    activePbx: z.enum(['primary', 'standby']),
  })
  .partial()
  .strict();

/** Largest admin request body; fault switches are a few dozen bytes. */
const MAX_BODY = 16 * 1024;

/**
 * The simulator's control port: tests and demos switch faults on and off at
 * run time (`POST /admin/faults` with a JSON object of the fields to change)
 * and read the run's state (`GET /admin/status`, `/admin/calls`).
 */
export class AdminServer {
  private server: Server | undefined;

  constructor(private readonly options: AdminServerOptions) {}

  async listen(port = 0, host = '127.0.0.1'): Promise<{ url: string }> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        send(response, 500, { error: error instanceof Error ? error.message : String(error) });
      });
    });
    this.server = server;
    return { url: `${await listenHttp(server, port, host)}/admin` };
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await closeHttp(server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!this.authorised(request)) {
      response.setHeader('WWW-Authenticate', 'Basic realm="recorder pbx admin"');
      send(response, 401, { error: 'authentication required' });
      return;
    }
    const path = new URL(request.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    if (path === '/admin/faults' && request.method === 'GET') return send(response, 200, this.options.faults);
    if (path === '/admin/faults' && (request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH')) {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(request));
      } catch (error) {
        return send(response, 400, { error: `request body: ${error instanceof Error ? error.message : String(error)}` });
      }
      const parsed = faultPatch.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
        return send(response, 400, { error: `${where}: ${issue?.message ?? 'invalid'}` });
      }
      Object.assign(this.options.faults, parsed.data);
      return send(response, 200, this.options.faults);
    }
    if (path === '/admin/status' && request.method === 'GET') return send(response, 200, this.options.source.status());
    if (path === '/admin/calls' && request.method === 'GET') return send(response, 200, this.options.source.calls());
    send(response, 404, { error: `no such admin resource: ${request.method ?? ''} ${path}` });
  }

  private authorised(request: IncomingMessage): boolean {
    const { username, password } = this.options;
    if (username === undefined) return true;
    const header = request.headers.authorization ?? '';
    if (!header.startsWith('Basic ')) return false;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    return decoded === `${username}:${password ?? ''}`;
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return void response.end();
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(`${JSON.stringify(body)}\n`);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error(`larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
