import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { PbxSoapService } from '../../../src/embedded/soap/index.js';
import type { FaultState } from '../../../src/embedded/model.js';
import { directory, element, faults, fixedClock, post, rawSoap } from './fixtures.js';

const initParts = { user: 'SOAP', appl: 'fault test', v: true, v501: true, v700: true, v800: true, vx1000: true };

describe('SOAP service faults', () => {
  const services: PbxSoapService[] = [];
  afterEach(async () => {
    await Promise.all(services.splice(0).map((service) => service.close()));
  });

  async function start(state: FaultState, role: 'primary' | 'standby' = 'primary', extra: { sessionTtlMs?: number; pollTimeoutMs?: number } = {}) {
    const service = new PbxSoapService({ directory, faults: state, clock: fixedClock, role, pollTimeoutMs: extra.pollTimeoutMs ?? 30_000, ...extra });
    services.push(service);
    return service.listen();
  }

  async function initialize(url: string): Promise<number> {
    const init = await rawSoap(url, 'Initialize', initParts);
    expect(init.status).toBe(200);
    const session = Number(element(init.body, 'return'));
    await rawSoap(url, 'UserInitialize', { session, user: 'SOAP', xfer: false, disc: true, hw: '' });
    await rawSoap(url, 'Poll', { session });
    return session;
  }

  it('answers 503 while soapDown and releases hanging polls with 503', { timeout: 20_000 }, async () => {
    const state = faults();
    const { url, wsdlUrl } = await start(state);
    const session = await initialize(url);
    const hanging = rawSoap(url, 'Poll', { session });
    await delay(150);
    state.soapDown = true;
    expect((await hanging).status).toBe(503);
    expect((await rawSoap(url, 'Initialize', initParts)).status).toBe(503);
    expect((await fetch(wsdlUrl)).status).toBe(503);
    state.soapDown = false;
    expect((await fetch(wsdlUrl)).status).toBe(200);
    expect((await rawSoap(url, 'Echo', { session, key: 0 })).status).toBe(200);
  });

  it('the standby answers "standby:" faults with 503 until activePbx switches to it; then the primary does', { timeout: 20_000 }, async () => {
    const state = faults({ activePbx: 'primary' });
    const primary = await start(state, 'primary');
    const standby = await start(state, 'standby');

    const refused = await rawSoap(standby.url, 'Initialize', initParts);
    expect(refused.status).toBe(503);
    expect(element(refused.body, 'faultstring')).toMatch(/^standby: /);
    expect((await fetch(standby.wsdlUrl)).status).toBe(200);

    const session = await initialize(primary.url);
    const hanging = rawSoap(primary.url, 'Poll', { session });
    await delay(150);
    state.activePbx = 'standby';
    const released = await hanging;
    expect(released.status).toBe(503);
    expect(element(released.body, 'faultstring')).toMatch(/^standby: /);

    const taken = await rawSoap(standby.url, 'Initialize', initParts);
    expect(taken.status).toBe(200);
    expect(Number(element(taken.body, 'return'))).toBeGreaterThan(0);
    expect((await rawSoap(primary.url, 'Initialize', initParts)).status).toBe(503);

    // Back to the primary: its old sessions are gone, the client must Initialize again.
    state.activePbx = 'primary';
    const stale = await rawSoap(primary.url, 'Poll', { session });
    expect(stale.status).toBe(500);
    expect(element(stale.body, 'faultstring')).toMatch(/^session: /);
  });

  it('expired and unknown sessions get a "session:" fault', async () => {
    const { url } = await start(faults(), 'primary', { sessionTtlMs: 100, pollTimeoutMs: 50 });
    const session = await initialize(url);
    await delay(300);
    const expired = await rawSoap(url, 'Poll', { session });
    expect(expired.status).toBe(500);
    expect(element(expired.body, 'faultcode')).toBe('soap:Client');
    expect(element(expired.body, 'faultstring')).toMatch(/^session: unknown or expired session/);
    const unknown = await rawSoap(url, 'UserInitialize', { session: 424242, user: 'SOAP', xfer: false, disc: true, hw: '' });
    expect(element(unknown.body, 'faultstring')).toMatch(/^session: /);
  });

  it('malformed requests get a Client fault and the service keeps serving', async () => {
    const { url } = await start(faults());
    const cases: { body: string; reason: RegExp }[] = [
      { body: 'this is not xml <<< &&', reason: /^request: / },
      { body: '', reason: /^request: empty body/ },
      { body: '<?xml version="1.0"?><notsoap><x/></notsoap>', reason: /^request: / },
      {
        body: '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Reboot/></soap:Body></soap:Envelope>',
        reason: /^request: unknown operation Reboot/,
      },
      {
        body: '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Poll><session>abc</session></Poll></soap:Body></soap:Envelope>',
        reason: /^request: part session must be an integer/,
      },
      {
        body: '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Poll></Poll></soap:Body></soap:Envelope>',
        reason: /^request: part session is missing/,
      },
      { body: '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Poll><session>1', reason: /^request: / },
    ];
    for (const { body, reason } of cases) {
      const answer = await post(url, body);
      expect(answer.status, body).toBe(500);
      expect(answer.body, body).toContain('<soap:Fault>');
      expect(element(answer.body, 'faultcode'), body).toBe('soap:Client');
      expect(element(answer.body, 'faultstring'), body).toMatch(reason);
    }
    const version = await post(
      url,
      '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Version xmlns="http://innovaphone.com/pbx"/></soap:Body></soap:Envelope>',
    );
    expect(version.status).toBe(200);
    expect(element(version.body, 'WSDLVersion')).toBe('1000');
  });

  it('requires HTTP Basic credentials when configured', async () => {
    const service = new PbxSoapService({ directory, faults: faults(), clock: fixedClock, role: 'primary', username: 'rec', password: 's3cret' });
    services.push(service);
    const { url, wsdlUrl } = await service.listen();
    const none = await rawSoap(url, 'Initialize', initParts);
    expect(none.status).toBe(401);
    const wrong = await rawSoap(url, 'Initialize', initParts, { username: 'rec', password: 'nope' });
    expect(wrong.status).toBe(401);
    const wsdl = await fetch(wsdlUrl);
    expect(wsdl.status).toBe(401);
    expect(wsdl.headers.get('www-authenticate')).toMatch(/^Basic /);
    const right = await rawSoap(url, 'Initialize', initParts, { username: 'rec', password: 's3cret' });
    expect(right.status).toBe(200);
  });
});
