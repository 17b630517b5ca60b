import { BasicAuthSecurity, createClientAsync } from 'soap';
import type { Client } from 'soap';
import { afterEach, describe, expect, it } from 'vitest';
import { PbxSoapService } from '../../../src/embedded/soap/index.js';
import { directory, element, faults, fixedClock, inboundCall, internalCall, play, post, T0 } from './fixtures.js';

/** node-soap hands back rpc values as strings and one-element arrays as the element itself. */
function list<T>(value: { item?: T | T[] } | null | undefined): T[] {
  const item = value?.item;
  if (item === undefined) return [];
  return Array.isArray(item) ? item : [item];
}

interface NodeCall {
  user: string;
  call: string;
  active: string;
  state: string;
  msg: string;
  No: { item: { type: string; h323: string | null; e164: string | null }[] } | null;
  info: { item: { type: string; vals: string | null; vali: string } | { type: string; vals: string | null; vali: string }[] } | null;
}

async function client(wsdlUrl: string): Promise<Client> {
  const authorization = `Basic ${Buffer.from('rec:s3cret').toString('base64')}`;
  const soapClient = await createClientAsync(wsdlUrl, { wsdl_headers: { Authorization: authorization } });
  soapClient.setSecurity(new BasicAuthSecurity('rec', 's3cret'));
  return soapClient;
}

describe('SOAP service with node-soap as the client', () => {
  let service: PbxSoapService | undefined;
  afterEach(async () => {
    await service?.close();
    service = undefined;
  });

  it('initialises, monitors one user and a group object, and polls the calls with conf id, skewed times and ends', async () => {
    const state = faults({ clockSkewMs: 90_000 });
    service = new PbxSoapService({ directory, faults: state, clock: fixedClock, role: 'primary', username: 'rec', password: 's3cret', pollTimeoutMs: 300 });
    const { wsdlUrl, url } = await service.listen();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/PBX0\/user\.soap$/);
    const soap = await client(wsdlUrl);

    const [version] = await soap['VersionAsync'](null); // null: node-soap's way to send an rpc call without parts
    expect(version).toMatchObject({ WSDLVersion: 1000, GatekeeperID: 'pbx-test', SerialNumber: '009033000001' });
    const [found] = await soap['FindUserAsync']({ v501: '1', v700: '1', v800: '1', vx1000: '1', cn: '', h323: '', e164: '230', count: 10, next: 0 });
    expect(list<{ h323: string }>(found.return).map((user) => user.h323)).toEqual(['carol']);

    const [init] = await soap['InitializeAsync']({ user: 'SOAP', appl: 'node test', v: true, v501: true, v700: true, v800: true, vx1000: true });
    const session = Number(init.return);
    const [echo] = await soap['EchoAsync']({ session, key: init.key });
    expect(Number(echo.return)).toBe(session);
    const [wrongKey] = await soap['EchoAsync']({ session, key: Number(init.key) + 1 });
    expect(Number(wrongKey.return)).toBe(0);

    const [bobHandle] = await soap['UserInitializeAsync']({ session, user: 'bob', xfer: false, disc: true, hw: '' });
    const [groupHandle] = await soap['UserInitializeAsync']({ session, user: 'SOAP', xfer: false, disc: true, hw: '' });
    const [unknown] = await soap['UserInitializeAsync']({ session, user: 'nobody', xfer: false, disc: true, hw: '' });
    expect(Number(unknown.return)).toBe(0);
    const bob = Number(bobHandle.return);
    const group = Number(groupHandle.return);

    const [first] = await soap['PollAsync']({ session });
    expect(list<{ h323: string }>(first.return.user).map((user) => user.h323)).toEqual(['bob', 'SOAP']);

    const inbound = inboundCall();
    const internal = internalCall();
    for (const event of inbound.events.slice(0, 3)) service.onCallEvent(inbound, event);
    const [current] = await soap['CallsAsync']({ session, user: 'alice' });
    expect(list<NodeCall>(current.return).map((call) => [call.call, call.msg])).toEqual([['501', 'r-conn']]);
    for (const event of inbound.events.slice(3)) service.onCallEvent(inbound, event);
    service.onCallEnd(inbound);
    play(service, internal);

    const calls: NodeCall[] = [];
    for (let i = 0; i < 5 && calls.filter((call) => call.msg === 'del').length < 3; i++) {
      const [news] = await soap['PollAsync']({ session });
      calls.push(...list<NodeCall>(news.return.call));
    }
    // bob's handle sees only bob's own leg; the group object sees alice and carol, never bob.
    const seen = new Set(calls.map((call) => `${call.user}:${call.call}`));
    expect(seen).toEqual(new Set([`${bob}:601`, `${group}:501`, `${group}:602`]));
    const ends = calls.filter((call) => call.msg === 'del');
    expect(ends.map((call) => call.call).sort()).toEqual(['501', '601', '602']);
    expect(ends.every((call) => call.active === 'false')).toBe(true);

    const connect = calls.find((call) => call.call === '501' && call.msg === 'r-conn')!;
    const info = list(connect.info);
    expect(info.find((item) => item.type === 'conf')?.vals).toBe(inbound.confId);
    const time = info.find((item) => item.type === 'time')!;
    expect(time.vals).toBe(new Date(T0 + 3000 + 90_000).toISOString());
    expect(Number(time.vali)).toBe(Math.floor((T0 + 3000 + 90_000) / 1000));
    const bobSetup = calls.find((call) => call.call === '601' && call.msg === 'r-setup')!;
    expect(Number(bobSetup.state)).toBe(0x01);
    expect(list(bobSetup.No).find((no) => no.type === 'peer')?.h323).toBe('carol');

    await soap['EndAsync']({ session });
    await expect(soap['PollAsync']({ session })).rejects.toThrow(/session: unknown or expired session/);
  });

  it('accepts SOAP-encoded requests with xsi:type and xsi:nil parts, as PHP SoapClient sends them', async () => {
    service = new PbxSoapService({ directory, faults: faults(), clock: fixedClock, role: 'primary', pollTimeoutMs: 300 });
    const { url } = await service.listen();
    const envelope = (operation: string, parts: string) =>
      '<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" ' +
      'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' +
      'SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><SOAP-ENV:Body>' +
      `<ns1:${operation} xmlns:ns1="http://innovaphone.com/pbx">${parts}</ns1:${operation}></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
    const init = await post(
      url,
      envelope(
        'Initialize',
        '<user xsi:type="xsd:string">SOAP</user><appl xsi:type="xsd:string">php</appl><v xsi:type="xsd:boolean">true</v>' +
          '<v501 xsi:type="xsd:boolean">true</v501><v700 xsi:type="xsd:boolean">true</v700><v800 xsi:type="xsd:boolean">true</v800>' +
          '<vx1000 xsi:type="xsd:boolean">true</vx1000>',
      ),
    );
    expect(init.status).toBe(200);
    expect(init.body).toContain('<inno:InitializeResponse><return>');
    const session = element(init.body, 'return');
    const user = await post(
      url,
      envelope(
        'UserInitialize',
        `<session xsi:type="xsd:int">${session}</session><user xsi:type="xsd:string">alice</user>` +
          '<xfer xsi:type="xsd:boolean">false</xfer><disc xsi:type="xsd:boolean">true</disc><hw xsi:nil="true"/>',
      ),
    );
    expect(user.status).toBe(200);
    expect(Number(element(user.body, 'return'))).toBeGreaterThan(0);
  });
});
