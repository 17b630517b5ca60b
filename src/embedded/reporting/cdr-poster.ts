/**
 * The embedded PBX's CDR interfaces (innovaphone: Gateway/CDR, CDR0 and
 * CDR1): at each call's end the PBX posts one CDR-XML document per CDR to
 * every configured interface over HTTP, with Basic credentials. What an
 * interface does not accept (down, refusing, 5xx) stays in a buffer of
 * 300 kB per interface, as on the real PBX, and is sent again, oldest first,
 * with a growing pause; beyond the buffer the newest CDRs are lost (counted).
 */
import type { PbxDirectory, PlannedCall } from '../model.js';
import { cdrXmlFor } from './cdr.js';
import type { CdrOptions } from './cdr.js';

export interface CdrInterfaceTarget {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
}

export interface CdrPosterOptions {
  readonly directory: PbxDirectory;
  readonly cdrOptions?: () => CdrOptions;
  /** Buffer per interface, bytes (default 300 kB, the PBX's). */
  readonly bufferBytes?: number;
  /** First pause before sending again, ms (doubles up to 30 s; default 500). */
  readonly retryMs?: number;
}

interface Interface {
  readonly target: CdrInterfaceTarget;
  readonly queue: string[];
  queuedBytes: number;
  sending: boolean;
  pauseMs: number;
  timer: NodeJS.Timeout | undefined;
  sent: number;
  dropped: number;
  failures: number;
}

export class CdrPoster {
  private readonly interfaces: Interface[] = [];
  private closed = false;

  constructor(private readonly options: CdrPosterOptions) {}

  /** Post the CDRs of every call from now on to `target` too. */
  add(target: CdrInterfaceTarget): void {
    new URL(target.url);
    this.interfaces.push({ target, queue: [], queuedBytes: 0, sending: false, pauseMs: 0, timer: undefined, sent: 0, dropped: 0, failures: 0 });
  }

  onCallEnd(call: PlannedCall, conference: string = call.confId): void {
    if (this.closed || this.interfaces.length === 0) return;
    const documents = cdrXmlFor(call, this.options.directory, { ...this.options.cdrOptions?.(), conference }).map((xml) => `<?xml version="1.0" encoding="utf-8"?>\n${xml}\n`);
    const limit = this.options.bufferBytes ?? 300 * 1024;
    for (const iface of this.interfaces) {
      for (const document of documents) {
        const bytes = Buffer.byteLength(document);
        if (iface.queuedBytes + bytes > limit) {
          iface.dropped++;
          continue;
        }
        iface.queue.push(document);
        iface.queuedBytes += bytes;
      }
      if (!iface.timer) void this.drain(iface);
    }
  }

  /** Per interface: CDRs accepted, waiting, lost to a full buffer, and failed posts. */
  stats(): { url: string; sent: number; waiting: number; dropped: number; failures: number }[] {
    return this.interfaces.map((i) => ({ url: i.target.url, sent: i.sent, waiting: i.queue.length, dropped: i.dropped, failures: i.failures }));
  }

  close(): void {
    this.closed = true;
    for (const iface of this.interfaces) if (iface.timer) clearTimeout(iface.timer);
  }

  private async drain(iface: Interface): Promise<void> {
    if (iface.sending) return;
    iface.sending = true;
    try {
      while (!this.closed && iface.queue.length > 0) {
        const document = iface.queue[0]!;
        if (!(await this.post(iface.target, document))) {
          iface.failures++;
          iface.pauseMs = Math.min(30_000, iface.pauseMs === 0 ? (this.options.retryMs ?? 500) : iface.pauseMs * 2);
          iface.timer = setTimeout(() => {
            iface.timer = undefined;
            void this.drain(iface);
          }, iface.pauseMs);
          iface.timer.unref();
          return;
        }
        iface.queue.shift();
        iface.queuedBytes -= Buffer.byteLength(document);
        iface.sent++;
        iface.pauseMs = 0;
      }
    } finally {
      iface.sending = false;
    }
  }

  private async post(target: CdrInterfaceTarget, document: string): Promise<boolean> {
    const headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8' };
    if (target.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${target.username}:${target.password ?? ''}`).toString('base64')}`;
    try {
      const response = await fetch(target.url, { method: 'POST', headers, body: document, signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer().catch(() => undefined);
      // A refused CDR (4xx) would be refused again: the real PBX drops it rather than block the rest.
      return response.ok || (response.status >= 400 && response.status < 500 && response.status !== 401 && response.status !== 408 && response.status !== 429);
    } catch {
      return false;
    }
  }
}
