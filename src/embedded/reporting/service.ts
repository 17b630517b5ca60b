/**
 * The embedded innovaphone Reporting server: it receives the PBX's CDRs at
 * the end of each call (as the CDR0 interface would deliver them) and
 * answers the remote interface at /apps/innovaphone-reporting/report.php.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeHttp, listenHttp } from '../../platform/util/index.js';
import { timingSafeEqual } from 'node:crypto';
import type { CallObserver, FaultState, PbxDirectory, PlannedCall, SimClock } from '../model.js';
import type { Cdr } from '../../recorder/pbx/index.js';
import { cdrsFor } from './cdr.js';
import { ReportQueryError, parseReportQuery, renderReport, selectCdrs } from './report.js';

export const REPORT_PATH = '/apps/innovaphone-reporting/report.php';
const MAX_BODY_BYTES = 64 * 1024;

export interface ReportingServiceOptions {
  readonly directory: PbxDirectory;
  readonly faults: FaultState;
  readonly clock: SimClock;
  /** Basic authentication is required when a username is set. */
  readonly username?: string;
  readonly password?: string;
  /** The PBX's local time offset from UTC in minutes (CDR `local`, report times, zone-less query times). Default 0. */
  readonly localOffsetMinutes?: number;
  /** Name the recording group appears under in CDR `<group>` elements (default "Recording"). */
  readonly recordingGroupName?: string;
}

interface StoredCdr {
  readonly cdr: Cdr;
  /** Simulated ms from which queries see it (call end + the delay fault at that moment). */
  readonly visibleAt: number;
}

export class ReportingService implements CallObserver {
  private readonly stored: StoredCdr[] = [];
  private server: Server | undefined;

  constructor(private readonly options: ReportingServiceOptions) {}

  /** The PBX delivers the call's CDRs (users without a reporting licence produce none). */
  onCallEnd(call: PlannedCall, conference: string = call.confId): void {
    const cdrs = cdrsFor(call, this.options.directory, {
      conference,
      clockSkewMs: this.options.faults.clockSkewMs,
      ...(this.options.localOffsetMinutes !== undefined ? { localOffsetMinutes: this.options.localOffsetMinutes } : {}),
      ...(this.options.recordingGroupName !== undefined ? { recordingGroupName: this.options.recordingGroupName } : {}),
    });
    const visibleAt = this.options.clock.now() + Math.max(0, this.options.faults.reportingDelayMs);
    for (const cdr of cdrs) this.stored.push({ cdr, visibleAt });
  }

  /** CDRs received so far, including those the delay fault still hides. */
  cdrCount(): number {
    return this.stored.length;
  }

  /** CDRs a query can see now. */
  visibleCdrs(): Cdr[] {
    const now = this.options.clock.now();
    return this.stored.filter((entry) => entry.visibleAt <= now).map((entry) => entry.cdr);
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<{ url: string }> {
    if (this.server) throw new Error('reporting service: already listening');
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        // Never let a request bring the server down; answer 500 if nothing was sent yet.
        if (!res.headersSent) sendText(res, 500, `internal error: ${error instanceof Error ? error.message : String(error)}`);
        else res.destroy();
      });
    });
    const base = await listenHttp(server, port, host);
    this.server = server;
    return { url: `${base}${REPORT_PATH}` };
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeHttp(server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.options.faults.reportingDown) {
      res.setHeader('Retry-After', '5');
      sendText(res, 503, 'reporting is not available');
      req.resume();
      return;
    }
    if (!this.authorised(req)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="innovaphone-reporting", charset="UTF-8"');
      sendText(res, 401, 'authentication required');
      req.resume();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://reporting.invalid');
    if (url.pathname !== REPORT_PATH) {
      sendText(res, 404, `not found: ${url.pathname}`);
      req.resume();
      return;
    }
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
      res.setHeader('Allow', 'GET, HEAD, POST');
      sendText(res, 405, `method ${method} not allowed`);
      req.resume();
      return;
    }
    const params = new URLSearchParams(url.search);
    if (method === 'POST') {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== '' && type !== 'application/x-www-form-urlencoded') {
        sendText(res, 415, `content type ${type} not supported; send application/x-www-form-urlencoded`);
        req.resume();
        return;
      }
      const body = await readBody(req, MAX_BODY_BYTES);
      if (body === undefined) {
        sendText(res, 413, `request body larger than ${MAX_BODY_BYTES} bytes`);
        return;
      }
      for (const [name, value] of new URLSearchParams(body)) params.append(name, value);
    } else {
      req.resume();
    }
    let query;
    try {
      query = parseReportQuery(params, this.options.localOffsetMinutes ?? 0);
    } catch (error) {
      if (error instanceof ReportQueryError) {
        sendText(res, error.status, `bad request: ${error.message}`);
        return;
      }
      throw error;
    }
    const { contentType, body } = renderReport(selectCdrs(this.visibleCdrs(), query), query.format);
    res.statusCode = 200;
    res.setHeader('Content-Type', contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(method === 'HEAD' ? undefined : body);
  }

  private authorised(req: IncomingMessage): boolean {
    const username = this.options.username;
    if (username === undefined || username === '') return true;
    const header = req.headers.authorization ?? '';
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!match) return false;
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const expected = `${username}:${this.options.password ?? ''}`;
    const a = Buffer.from(decoded);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text) + 1);
  res.end(`${text}\n`);
}

/** The body as text, or undefined when it exceeds `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
