// Hostile call records: Report XML and CDR-XML that are truncated, mangled, mis-encoded, entity bombs or huge.
// Every one gives a typed error naming the document, the element, the conference when readable and the reason —
// never another exception, never "no record" for a broken document — and memory stays bounded.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { cdrXmlFor, cdrsFor, reportXml } from '../../src/embedded/reporting/index.js';
import { CdrParseError, ReportParseError, ReportingClient, ReportingUnavailableError, parseCallRecords, parseCdrXml, parseReportXml } from '../../src/recorder/pbx/index.js';
import { mulberry32 } from '../../src/platform/util/index.js';
import { closeLoopbackServers, loopbackServer } from '../helpers/loopback-server.js';
import { E, directory, planOne } from '../recorder/rules/cases.js';

const listen = async (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> => `${await loopbackServer(handler)}/apps/innovaphone-reporting/report.php`;
afterAll(closeLoopbackServers);

const calls = [
  planOne({ kind: 'attended-transfer', from: E, to: '20', via: '21', talkSeconds: 20, tan: '123456' }),
  planOne({ kind: 'pickup', from: E, to: '30', via: '21' }),
  planOne({ kind: 'cfnr', from: E, to: '20', via: '21' }),
];
const report = reportXml(calls.flatMap((call) => cdrsFor(call, directory)));
const cdrDocument = `<cdrs>\n${calls.flatMap((call) => cdrXmlFor(call, directory)).join('\n')}\n</cdrs>\n`;

/** Parse; true when it parsed, false on a typed error; anything else is thrown on. */
function parsesOrTypedError(xml: string): boolean {
  try {
    parseCallRecords(xml, 'fuzz');
    return true;
  } catch (error) {
    if (error instanceof ReportParseError || error instanceof CdrParseError) {
      expect(error.message.startsWith('fuzz: ')).toBe(true);
      return false;
    }
    throw error;
  }
}

describe('adversarial: hostile call records', () => {
  it('a document cut anywhere is a typed error, never a partial or empty answer', () => {
    let cuts = 0;
    for (const doc of [report, cdrDocument]) {
      const whole = parseCallRecords(doc, 'whole').legs.length;
      expect(whole).toBeGreaterThan(3);
      for (let at = 1; at < doc.trimEnd().length - 1; at += 37) {
        cuts++;
        let legs: number | undefined;
        try {
          legs = parseCallRecords(doc.slice(0, at), 'cut').legs.length;
        } catch (error) {
          expect(error instanceof ReportParseError || error instanceof CdrParseError, String(error)).toBe(true);
          expect((error as Error).message).toMatch(/truncated|malformed|empty/);
        }
        expect(legs, `cut at ${at}`).toBeUndefined();
      }
    }
    console.log(`hostile records: ${cuts} truncations, each a typed error`);
  });

  it('3,000 mangled documents (bytes flipped, elements and attributes dropped or doubled, wild values): parsed or a typed error', () => {
    const random = mulberry32(18);
    const outcomes = { parsed: 0, refused: 0 };
    const mutate = (doc: string): string => {
      const r = random();
      const at = Math.floor(random() * doc.length);
      if (r < 0.25) return doc.slice(0, at) + String.fromCharCode(Math.floor(random() * 128)) + doc.slice(at + 1);
      if (r < 0.45) {
        const attributes = [...doc.matchAll(/ [\w-]+="[^"]*"/g)];
        const pick = attributes[Math.floor(random() * attributes.length)]!;
        const wild = ['', '-1', '99999999999999999999', 'x'.repeat(300), '&amp;&lt;', '\u00e9\u4e2d', '0x10', 'NaN'][Math.floor(random() * 8)]!;
        return random() < 0.5 ? doc.replace(pick[0], '') : doc.replace(pick[0], pick[0].replace(/"[^"]*"$/, `"${wild}"`));
      }
      if (r < 0.7) {
        const elements = [...doc.matchAll(/<(\w[\w-]*)\b[^>]*\/>|<(\w[\w-]*)\b[^>]*>[^<]*<\/\2>/g)];
        const pick = elements[Math.floor(random() * elements.length)]!;
        return random() < 0.5 ? doc.replace(pick[0], '') : doc.replace(pick[0], pick[0] + pick[0]);
      }
      if (r < 0.85) return doc.replace(/<id>[0-9a-f]+<\/id>|conf="[0-9a-f]+"/, random() < 0.5 ? '' : '<id>zz</id>');
      return doc.slice(0, at) + doc.slice(at + Math.floor(random() * 50));
    };
    for (let i = 0; i < 3000; i++) {
      const base = i % 2 === 0 ? report : cdrDocument;
      let doc = mutate(base);
      if (random() < 0.3) doc = mutate(doc);
      if (parsesOrTypedError(doc)) outcomes.parsed++;
      else outcomes.refused++;
    }
    console.log(`hostile records: 3,000 mangled documents: ${outcomes.parsed} parsed, ${outcomes.refused} refused with a typed error, 0 other exceptions`);
    expect(outcomes.refused).toBeGreaterThan(300);
  });

  it('entity expansion and external entities are refused at once with a typed error', () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE report [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${'b'.repeat(i + 1)} "${`&${i === 0 ? 'a' : 'b'.repeat(i)};`.repeat(10)}">`).join('')}]><report><record><obj>&bbbbbbbbb;</obj></record></report>`;
    const before = process.memoryUsage().heapUsed;
    expect(() => parseReportXml(laughs, 'laughs')).toThrow(/DOCTYPE/);
    expect(() => parseCdrXml('<!DOCTYPE cdr [<!ENTITY x SYSTEM "file:///etc/passwd">]><cdr>&x;</cdr>', 'xxe')).toThrow(CdrParseError);
    expect(() => parseReportXml('<report><record><obj>&x;</obj></record></report>', 'undeclared')).toThrow(/unknown entity/);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(32 * 1024 * 1024);
  });

  it('the reporting client: a report in ISO-8859-1 is read right, invalid bytes, UTF-16 and unknown encodings are refused with the reason', async () => {
    const call = calls[0]!;
    const latin1Report = reportXml(cdrsFor(call, { ...directory, users: directory.users.map((u) => (u.number === '20' ? { ...u, displayName: 'Jürgen Müller' } : u)) })).replace('encoding="utf-8"', 'encoding="ISO-8859-1"');
    const bodies: Record<string, Buffer> = {
      latin1: Buffer.from(latin1Report, 'latin1'),
      broken: Buffer.concat([Buffer.from(report.slice(0, 200)), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(report.slice(200))]),
      utf16: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(report, 'utf16le')]),
      ebcdic: Buffer.from(report.replace('encoding="utf-8"', 'encoding="EBCDIC-CP-US"')),
    };
    const url = await listen((req, res) => {
      const kind = new URL(req.url ?? '/', 'http://x').searchParams.get('kind') ?? '';
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(bodies[kind]);
    });
    const ask = (kind: string): Promise<unknown> => new ReportingClient({ url: `${url}?kind=${kind}`, timeoutMs: 5000 }).cdrsForConference(call.confId);
    const legs = (await ask('latin1')) as { cn: string }[];
    expect(legs.map((leg) => leg.cn)).toContain('Jürgen Müller');
    for (const [kind, reason] of [['broken', /not valid UTF-8/], ['utf16', /UTF-16/], ['ebcdic', /declares encoding "ebcdic-cp-us"/]] as const) {
      const error = await ask(kind).then(() => undefined, (e: unknown) => e);
      expect(error, kind).toBeInstanceOf(ReportingUnavailableError);
      expect((error as Error).message, kind).toMatch(reason);
      expect((error as Error).message, kind).toContain(call.confId);
    }
  });

  it('a 50 MB record list is refused after the limit, unread, in bounded memory; a legitimately large report parses', async () => {
    const record = report.slice(report.indexOf('<record>'), report.indexOf('</record>') + '</record>'.length);
    const fifty = 50 * 1024 * 1024;
    const url = await listen((req, res) => {
      const sized = new URL(req.url ?? '/', 'http://x').searchParams.get('sized') === '1';
      res.writeHead(200, { 'content-type': 'application/xml', ...(sized ? { 'content-length': String(fifty) } : {}) });
      let sent = 0;
      const piece = Buffer.from(record.repeat(64));
      res.write('<?xml version="1.0" encoding="utf-8"?>\n<report>\n');
      const pump = (): void => {
        while (sent < fifty) {
          sent += piece.length;
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        res.end('</report>\n');
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    for (const sized of ['0', '1']) {
      const before = process.memoryUsage();
      const error = await new ReportingClient({ url: `${url}?sized=${sized}` }).cdrsForConference(calls[0]!.confId).then(() => undefined, (e: unknown) => e);
      const after = process.memoryUsage();
      expect((error as Error).name).toBe('ReportingAnswerTooLargeError');
      const grew = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
      console.log(`hostile records: 50 MB report (${sized === '1' ? 'announced' : 'streamed'}) refused; heap+buffers grew ${(grew / 2 ** 20).toFixed(1)} MiB`);
      expect(grew).toBeLessThan(64 * 1024 * 1024);
    }
    // 20,000 records (a day of a large call centre) in one answer: read whole.
    const big = `<?xml version="1.0" encoding="utf-8"?>\n<report>\n${record.repeat(20_000)}\n</report>\n`;
    const started = performance.now();
    const records = parseReportXml(big, 'big');
    console.log(`hostile records: ${records.length} records (${(big.length / 2 ** 20).toFixed(1)} MiB) parsed in ${Math.round(performance.now() - started)} ms`);
    expect(records).toHaveLength(20_000);
  });
});
