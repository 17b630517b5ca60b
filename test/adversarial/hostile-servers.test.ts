// Hostile PBX and reporting servers: answers of a gigabyte (streamed, or announced by Content-Length) are cut
// off after the limit, refused with a typed error, and cost the recorder a few megabytes, not the gigabyte.
import type { ServerResponse } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { PbxSoapService } from '../../src/embedded/soap/index.js';
import { MAX_REPORTING_ANSWER_BYTES, PbxLink, ReportingAnswerTooLargeError, ReportingClient } from '../../src/recorder/pbx/index.js';
import type { PbxLinkStatus } from '../../src/recorder/pbx/index.js';
import { directory, faults, fixedClock } from '../embedded/soap/fixtures.js';
import { closeLoopbackServers, loopbackServer } from '../helpers/loopback-server.js';

const GIB = 1024 * 1024 * 1024;
const listen = loopbackServer;
afterAll(closeLoopbackServers);

/** Stream `head`, then `item` repeated up to `total` bytes, as fast as the client reads; returns bytes sent so far. */
function flood(res: ServerResponse, head: string, item: string, total: number, sent: { bytes: number }): void {
  const piece = Buffer.from(item.repeat(Math.ceil(65536 / item.length)));
  res.write(head);
  sent.bytes += head.length;
  const pump = (): void => {
    while (sent.bytes < total) {
      sent.bytes += piece.length;
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    res.end();
  };
  res.on('close', () => res.removeAllListeners('drain'));
  pump();
}

function heapAndBuffers(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe('adversarial: hostile servers', () => {
  it('a reporting answer of 1 GiB, streamed: refused after the limit, memory stays small', async () => {
    const sent = { bytes: 0 };
    const url = await listen((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      flood(res, '<?xml version="1.0"?><report>', '<record><time time="1" utc="1"/><obj>x</obj><id>abc</id></record>', GIB, sent);
    });
    const before = heapAndBuffers();
    let peak = before;
    const watch = setInterval(() => (peak = Math.max(peak, heapAndBuffers())), 5);
    const started = Date.now();
    const error = await new ReportingClient({ url: `${url}/report.php` }).cdrsForConference('abc').catch((e: unknown) => e);
    clearInterval(watch);
    expect(error).toBeInstanceOf(ReportingAnswerTooLargeError);
    expect((error as Error).message).toMatch(/answer larger than 8 MiB: refused unread/);
    console.log(`hostile reporting: refused after ${(sent.bytes / 2 ** 20).toFixed(1)} MiB sent of 1024, ${Date.now() - started} ms, heap+buffers grew ${((peak - before) / 2 ** 20).toFixed(0)} MiB`);
    expect(sent.bytes).toBeLessThan(MAX_REPORTING_ANSWER_BYTES + 32 * 2 ** 20);
    expect(peak - before).toBeLessThan(100 * 2 ** 20);
  });

  it('a reporting answer announcing 1 GiB in Content-Length is refused before reading', async () => {
    const sent = { bytes: 0 };
    const url = await listen((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': String(GIB) });
      flood(res, '<report>', '<record/>', GIB, sent);
    });
    const error = await new ReportingClient({ url: `${url}/report.php` }).cdrsForConference('abc').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReportingAnswerTooLargeError);
    expect(sent.bytes).toBeLessThan(MAX_REPORTING_ANSWER_BYTES + 32 * 2 ** 20);
  });

  it('a PBX whose Poll answers with an endless list of calls: the link goes down with the reason, memory stays small', { timeout: 60_000 }, async () => {
    const pbx = new PbxSoapService({ directory, faults: faults(), clock: fixedClock, role: 'primary', pollTimeoutMs: 30_000 });
    const upstream = await pbx.listen();
    const sent = { bytes: 0 };
    let polls = 0;
    // A proxy in front of the embedded PBX: everything passes, except that Poll gets a flood of CallInfo items.
    const proxy = await listen((req, res) => {
      const body: Buffer[] = [];
      req.on('data', (chunk: Buffer) => body.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(body).toString('utf8');
        if (/<(\w+:)?Poll\b/.test(text)) {
          polls++;
          res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
          flood(
            res,
            '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><PollResponse><return><call>',
            '<item><user>1</user><call>2</call><reg>0</reg><active>true</active><state>1</state><msg>x</msg><conf>abc</conf></item>',
            GIB,
            sent,
          );
          return;
        }
        const target = new URL(req.url ?? '/', upstream.url);
        fetch(target, { method: req.method ?? 'GET', headers: { 'Content-Type': String(req.headers['content-type'] ?? 'text/xml'), SOAPAction: String(req.headers.soapaction ?? '') }, ...(text ? { body: text } : {}) })
          .then(async (answer) => {
            res.writeHead(answer.status, { 'Content-Type': answer.headers.get('content-type') ?? 'text/xml' });
            res.end(Buffer.from(await answer.arrayBuffer()));
          })
          .catch(() => res.destroy());
      });
    });
    const path = new URL(upstream.url).pathname;
    const link = new PbxLink({ url: `${proxy}${path}`, backoffMs: [60_000, 60_000] });
    const before = heapAndBuffers();
    let peak = before;
    const watch = setInterval(() => (peak = Math.max(peak, heapAndBuffers())), 5);
    const down = new Promise<PbxLinkStatus>((resolve) => link.on('status', (status) => !status.up && status.error !== undefined && resolve(status)));
    link.start();
    const status = await down;
    clearInterval(watch);
    await link.stop();
    await pbx.close();
    expect(polls).toBeGreaterThanOrEqual(1);
    expect(status.error).toMatch(/Poll: the answer is larger than 8 MiB and was refused/);
    console.log(`hostile PBX: Poll refused after ${(sent.bytes / 2 ** 20).toFixed(1)} MiB sent of 1024; heap+buffers grew ${((peak - before) / 2 ** 20).toFixed(0)} MiB`);
    expect(sent.bytes).toBeLessThan(8 * 2 ** 20 + 32 * 2 ** 20);
    expect(peak - before).toBeLessThan(150 * 2 ** 20);
  });
});
