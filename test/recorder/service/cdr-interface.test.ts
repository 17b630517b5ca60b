import { existsSync, readFileSync, readdirSync, utimesSync } from 'node:fs';
import { Keyring, generateKeyFile } from '../../../src/platform/crypto/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cdrXmlFor } from '../../../src/embedded/reporting/index.js';
import { CdrPoster } from '../../../src/embedded/reporting/index.js';
import { CdrInterface } from '../../../src/recorder/service/cdr-interface.js';
import { E, directory, planOne } from '../rules/cases.js';

const USER = 'pbx-cdr';
const PASSWORD = 'a-long-cdr-password';
const auth = (user = USER, password = PASSWORD): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

let dir: string;
let iface: CdrInterface;
let url: string;
const refusals: string[] = [];

async function start(): Promise<void> {
  iface = new CdrInterface({ host: '127.0.0.1', port: 0, path: '/ap/cdr.fcgi', username: USER, password: PASSWORD, inboxDir: join(dir, 'inbox'), maxBodyBytes: 64 * 1024, onRefused: (reason) => refusals.push(reason) });
  url = await iface.listen();
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cdr-interface-'));
  refusals.length = 0;
  await start();
});
afterEach(async () => {
  await iface.close();
  await rm(dir, { recursive: true, force: true });
});

const post = (body: string, headers: Record<string, string> = { authorization: auth() }, method = 'POST'): Promise<Response> =>
  fetch(url, { method, headers: { 'content-type': 'text/xml', ...headers }, ...(method === 'POST' ? { body } : {}) });

describe('the recorder as a CDR interface', () => {
  const call = planOne({ kind: 'blind-transfer', from: E, to: '30', via: '21' });
  const documents = cdrXmlFor(call, directory);

  it('stores the CDRs a PBX posts, once each, on disk before it answers, and gives them back as legs', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ap\/cdr\.fcgi$/);
    const conferences: string[] = [];
    iface.on('cdr', (conf) => conferences.push(conf));
    for (const xml of documents) expect((await post(`<?xml version="1.0" encoding="utf-8"?>\n${xml}`)).status).toBe(200);
    // The PBX sends again what it is not sure was accepted: stored once.
    expect((await post(documents[0]!)).status).toBe(200);
    expect(conferences).toEqual(documents.map(() => call.confId).concat(call.confId));
    expect(readdirSync(join(dir, 'inbox', call.confId))).toHaveLength(documents.length);
    const received = await iface.cdrsFor(call.confId.toUpperCase());
    expect(received!.legs.map((leg) => leg.e164).sort()).toEqual(['21', '30']);
    expect(received!.legs.every((leg) => leg.device !== undefined)).toBe(true);
    expect(Date.now() - received!.lastArrival).toBeLessThan(60_000);
    expect(iface.received).toBe(documents.length + 1);
    expect(await iface.cdrsFor('0'.repeat(32))).toBeUndefined();
    expect(await iface.cdrsFor('../etc')).toBeUndefined();
    // They survive a restart of the recorder.
    await iface.close();
    await start();
    expect((await iface.cdrsFor(call.confId))!.legs).toHaveLength(documents.length);
  });

  it('refuses anonymous, wrong-password, GET, oversize and unreadable posts with the reason, and stores nothing of them', async () => {
    const one = documents[0]!;
    const anonymous = await post(one, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect((await post(one, { authorization: auth(USER, 'wrong-password') })).status).toBe(401);
    expect((await post(one, { authorization: auth() }, 'GET')).status).toBe(405);
    expect((await post(`<cdrs>${one.repeat(200)}</cdrs>`)).status).toBe(413);
    const truncated = await post(one.slice(0, one.length - 20));
    expect(truncated.status).toBe(400);
    expect(await truncated.text()).toMatch(/malformed XML/);
    const noConf = await post(one.replace(/ conf="[0-9a-f]+"/, ''));
    expect(noConf.status).toBe(400);
    expect(await noConf.text()).toMatch(/no event carries a conf/);
    expect((await post('<!DOCTYPE cdr [<!ENTITY a "aaaaaaaaaa">]><cdr/>')).status).toBe(400);
    expect((await fetch(url.replace('/ap/cdr.fcgi', '/other'), { method: 'POST', headers: { authorization: auth() }, body: one })).status).toBe(404);
    expect(readdirSync(join(dir, 'inbox'))).toEqual([]);
    expect(iface.refused).toBe(7);
    expect(refusals).toHaveLength(7);
  });

  it('with encryption on, keeps the CDRs sealed: no number of the call readable in its inbox', async () => {
    await iface.close();
    const keyring = new Keyring([await generateKeyFile(join(dir, 'system.key'))]);
    iface = new CdrInterface({ host: '127.0.0.1', port: 0, path: '/cdr', username: USER, password: PASSWORD, inboxDir: join(dir, 'sealed'), seal: keyring });
    url = await iface.listen();
    for (const xml of documents) expect((await post(xml)).status).toBe(200);
    const folder = join(dir, 'sealed', call.confId);
    for (const name of readdirSync(folder)) {
      const bytes = readFileSync(join(folder, name));
      expect(bytes.includes(Buffer.from(E)), name).toBe(false);
      expect(bytes.includes(Buffer.from('<cdr')), name).toBe(false);
    }
    expect((await iface.cdrsFor(call.confId))!.legs.map((leg) => leg.e164).sort()).toEqual(['21', '30']);
  });

  it('accepts the CDR as a form field too, and drops conferences nobody asked for after the keep time', async () => {
    const body = new URLSearchParams({ cdr: documents[0]! }).toString();
    expect((await post(body, { authorization: auth(), 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(200);
    expect(await iface.sweep(3600_000)).toBe(0);
    const folder = join(dir, 'inbox', call.confId);
    const old = new Date(Date.now() - 2 * 3600_000);
    utimesSync(folder, old, old);
    expect(await iface.sweep(3600_000)).toBe(1);
    expect(existsSync(folder)).toBe(false);
  });

  it('the embedded PBX posts each call’s CDRs at its end, keeps them while the interface is down and sends them when it is back', async () => {
    const port = Number(new URL(url).port);
    await iface.close();
    const poster = new CdrPoster({ directory, retryMs: 50 });
    poster.add({ url, username: USER, password: PASSWORD });
    try {
      poster.onCallEnd(call);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(poster.stats()[0]).toMatchObject({ sent: 0, waiting: documents.length });
      expect(poster.stats()[0]!.failures).toBeGreaterThan(0);
      iface = new CdrInterface({ host: '127.0.0.1', port, path: '/ap/cdr.fcgi', username: USER, password: PASSWORD, inboxDir: join(dir, 'inbox') });
      await iface.listen();
      for (let i = 0; i < 200 && poster.stats()[0]!.waiting > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(poster.stats()[0]).toMatchObject({ sent: documents.length, waiting: 0, dropped: 0 });
      expect((await iface.cdrsFor(call.confId))!.legs).toHaveLength(documents.length);
    } finally {
      poster.close();
    }
  });
});
