import { describe, expect, it } from 'vitest';
import type { CallEvent, CallObserver, CaptureSpec, PlannedCall } from '../../../src/embedded/model.js';
import { defaultFaults } from '../../../src/embedded/model.js';
import { AdminServer } from '../../../src/embedded/run/admin.js';
import { AcceleratedClock, ManualClock } from '../../../src/embedded/run/clock.js';
import { playCalls } from '../../../src/embedded/run/runner.js';

const party = (number: string, external = false) => ({ number, external, ...(external ? {} : { object: `u${number}`, name: `User ${number}` }) });

function call(index: number, setupTime: number, endAt: number, captures: CaptureSpec[] = []): PlannedCall {
  const events: CallEvent[] = [
    { at: 0, type: 'setup', user: 'u24', leg: index * 10, peer: party('0301234567', true), outgoing: false },
    { at: 1000, type: 'alert', user: 'u24', leg: index * 10, peer: party('0301234567', true), outgoing: false },
    { at: 3000, type: 'connect', user: 'u24', leg: index * 10, peer: party('0301234567', true), outgoing: false },
    { at: endAt, type: 'release', user: 'u24', leg: index * 10, peer: party('0301234567', true), outgoing: false },
  ];
  return {
    index,
    confId: index.toString(16).padStart(32, '0'),
    scenario: { at: 0, kind: 'inbound', from: '0301234567', to: '24' },
    setupTime,
    answerAt: 3000,
    endAt,
    direction: 'inbound',
    caller: party('0301234567', true),
    called: party('24'),
    events,
    captures,
    expected: { agent: '24', external: '0301234567', rule: 'external-to-agent' },
  };
}

describe('playCalls', () => {
  it('delivers every event at its simulated moment, in order, overlapping calls interleaved', async () => {
    const clock = new ManualClock(1_000_000);
    const seen: string[] = [];
    const observer: CallObserver = {
      onCallEvent: (c, e) => seen.push(`${clock.now() - 1_000_000}:${c.index}:${e.type}`),
      onCallEnd: (c) => seen.push(`${clock.now() - 1_000_000}:${c.index}:end`),
    };
    const run = playCalls([call(2, 1_002_000, 5000), call(1, 1_000_000, 4000)], { clock, observers: [observer] });
    await clock.advance(20_000);
    const result = await run;
    expect(result).toMatchObject({ calls: 2, events: 8, failures: [], aborted: false });
    expect(seen).toEqual([
      '0:1:setup', '1000:1:alert', '2000:2:setup', '3000:1:connect', '3000:2:alert',
      '4000:1:release', '4000:1:end', '5000:2:connect', '7000:2:release', '7000:2:end',
    ]);
  });

  it('records observer and capture failures without stopping the run', async () => {
    const clock = new ManualClock(0);
    const spec: CaptureSpec = { fileName: 'x.pcap', side: 'gateway', codec: 'pcma', packetMs: 20, start: 3000, end: 4000, segments: [], seed: 1 };
    const run = playCalls([call(1, 0, 4000, [spec]), call(2, 100, 4000)], {
      clock,
      observers: [{ onCallEvent: (c, e) => { if (c.index === 1 && e.type === 'alert') throw new Error('observer broke'); } }],
      recordCapture: async () => { throw new Error('disk full'); },
    });
    await clock.advance(10_000);
    const result = await run;
    expect(result.calls).toBe(2);
    expect(result.captures).toBe(1);
    expect(result.failures.map((f) => `${f.what}: ${f.error}`).sort()).toEqual(['capture x.pcap: disk full', 'event alert: observer broke']);
  });

  it('stops on abort and says so', async () => {
    const clock = new AcceleratedClock({ speed: 1, start: 0 });
    const controller = new AbortController();
    const run = playCalls([call(1, 0, 60_000)], { clock, observers: [], signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 20);
    const result = await run;
    expect(result.aborted).toBe(true);
  });
});

describe('AcceleratedClock', () => {
  it('runs at its speed and rejects nonsense speeds', async () => {
    const clock = new AcceleratedClock({ speed: 100, start: 0 });
    await clock.sleepUntil(1500);
    expect(clock.now()).toBeGreaterThanOrEqual(1500);
    expect(() => new AcceleratedClock({ speed: 0 })).toThrow(/speed/);
    expect(() => new AcceleratedClock({ speed: Number.NaN })).toThrow(/speed/);
  });
});

describe('AdminServer', () => {
  it('switches faults at run time, validates the change, and requires the password', async () => {
    const faults = defaultFaults();
    const admin = new AdminServer({ faults, username: 'a', password: 'b', source: { status: () => ({ ok: true }), calls: () => [] } });
    const { url } = await admin.listen();
    const auth = { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` };
    try {
      expect((await fetch(`${url}/faults`)).status).toBe(401);
      const changed = await fetch(`${url}/faults`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ soapDown: true, reportingDelayMs: 5000 }) });
      expect(changed.status).toBe(200);
      expect(faults.soapDown).toBe(true);
      expect(faults.reportingDelayMs).toBe(5000);
      const bad = await fetch(`${url}/faults`, { method: 'POST', headers: auth, body: JSON.stringify({ soapDwn: true }) });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/soapDwn|Unrecognized/);
      const wrongType = await fetch(`${url}/faults`, { method: 'POST', headers: auth, body: JSON.stringify({ activePbx: 'third' }) });
      expect(wrongType.status).toBe(400);
      expect(((await wrongType.json()) as { error: string }).error).toMatch(/^activePbx:/);
      expect((await fetch(`${url}/faults`, { method: 'POST', headers: auth, body: '{' })).status).toBe(400);
      expect(await (await fetch(`${url}/status`, { headers: auth })).json()).toEqual({ ok: true });
      expect((await fetch(`${url}/nothing`, { headers: auth })).status).toBe(404);
    } finally {
      await admin.close();
    }
  });
});
