import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { PbxSoapService } from '../../../src/embedded/soap/index.js';
import { directory, element, faults, fixedClock, inboundCall, rawSoap } from './fixtures.js';

async function open(url: string, user = 'SOAP'): Promise<number> {
  const init = await rawSoap(url, 'Initialize', { user, appl: 'longpoll test', v: true, v501: true, v700: true, v800: true, vx1000: true });
  expect(init.status).toBe(200);
  const session = Number(element(init.body, 'return'));
  const handle = await rawSoap(url, 'UserInitialize', { session, user, xfer: false, disc: true, hw: '' });
  expect(Number(element(handle.body, 'return'))).toBeGreaterThan(0);
  // The first poll carries the UserInfo of the monitored object.
  const first = await rawSoap(url, 'Poll', { session });
  expect(first.body).toContain(`<h323>${user}</h323>`);
  return session;
}

describe('SOAP Poll is a long poll', () => {
  const services: PbxSoapService[] = [];
  afterEach(async () => {
    await Promise.all(services.splice(0).map((service) => service.close()));
  });

  it('answers with empty arrays when nothing happens before the timeout', async () => {
    const service = new PbxSoapService({ directory, faults: faults(), clock: fixedClock, role: 'primary', pollTimeoutMs: 150 });
    services.push(service);
    const { url } = await service.listen();
    const session = await open(url);
    const poll = await rawSoap(url, 'Poll', { session });
    expect(poll.status).toBe(200);
    expect(poll.body).toMatch(/<user><\/user>|<user\/>/);
    expect(poll.body).toMatch(/<call><\/call>|<call\/>/);
    expect(poll.body).not.toContain('<msg>');
  });

  it('returns as soon as there is news, for every session that sees it', { timeout: 20_000 }, async () => {
    // A timeout far longer than the test's: the polls can only finish by news.
    const service = new PbxSoapService({ directory, faults: faults(), clock: fixedClock, role: 'primary', pollTimeoutMs: 50_000 });
    services.push(service);
    const { url } = await service.listen();
    const monitor = await open(url, 'SOAP');
    const agent = await open(url, 'alice');
    const bystander = await open(url, 'bob');
    const polls = [rawSoap(url, 'Poll', { session: monitor }), rawSoap(url, 'Poll', { session: agent })];
    const bystanderPoll = rawSoap(url, 'Poll', { session: bystander });
    await delay(200);
    const call = inboundCall();
    service.onCallEvent(call, call.events[0]!);
    for (const answer of await Promise.all(polls)) {
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('<msg>x-setup</msg>');
      expect(answer.body).toContain(`<vals>${call.confId}</vals>`);
    }
    // bob does not see alice's call; End releases his hanging poll empty.
    await rawSoap(url, 'End', { session: bystander });
    const empty = await bystanderPoll;
    expect(empty.status).toBe(200);
    expect(empty.body).not.toContain('<msg>');
  });

  it('queues news that arrives between polls and hands it over at once', async () => {
    const service = new PbxSoapService({ directory, faults: faults(), clock: fixedClock, role: 'primary', pollTimeoutMs: 50_000 });
    services.push(service);
    const { url } = await service.listen();
    const session = await open(url);
    const call = inboundCall();
    for (const event of call.events) service.onCallEvent(call, event);
    service.onCallEnd(call);
    const poll = await rawSoap(url, 'Poll', { session });
    const msgs = [...poll.body.matchAll(/<msg>([^<]*)<\/msg>/g)].map((match) => match[1]);
    expect(msgs).toEqual(['x-setup', 'r-alert', 'r-conn', 'hold', 'retrieve', 'x-rel', 'del']);
  });
});
