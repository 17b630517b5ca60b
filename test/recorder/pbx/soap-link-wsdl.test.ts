import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PbxSoapService } from '../../../src/embedded/soap/index.js';
import { PbxLink } from '../../../src/recorder/pbx/index.js';
import type { CallEndInfo, PbxLinkStatus } from '../../../src/recorder/pbx/index.js';
import { directory, faults, fixedClock, inboundCall, play } from '../../embedded/soap/fixtures.js';

/** A loopback proxy in front of the PBX that notes every request line. */
async function recordingProxy(target: string): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string' && name !== 'host' && name !== 'connection') headers[name] = value;
      fetch(new URL(req.url ?? '/', target), { method: req.method ?? 'GET', headers, ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}) })
        .then(async (answer) => {
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/xml' });
          res.end(Buffer.from(await answer.arrayBuffer()));
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('the recorder’s SOAP link and the shipped pbx10_00 WSDL', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  for (const path of ['/PBX0/user.soap', '/PBX-7/user.soap']) {
    it(`talks to ${path} through the WSDL it ships: no WSDL is fetched from the PBX`, async () => {
      const service = new PbxSoapService({ directory, faults: faults(), clock: fixedClock, role: 'primary', username: 'rec', password: 's3cret', pollTimeoutMs: 300, dynamicPbxIds: ['7'] });
      const { url } = await service.listen();
      closers.push(() => service.close());
      const proxy = await recordingProxy(new URL(url).origin);
      closers.push(() => proxy.close());
      const link = new PbxLink({ url: `${proxy.url}${path}`, username: 'rec', password: 's3cret', monitorUser: 'SOAP', application: 'test' });
      closers.push(() => link.stop());
      const up = new Promise<PbxLinkStatus>((resolve) => link.on('status', (status) => status.up && resolve(status)));
      const ended = new Promise<CallEndInfo>((resolve) => link.on('call-end', resolve));
      link.start();
      await up;
      const call = inboundCall();
      play(service, call);
      expect((await ended).confId).toBe(call.confId);
      expect(proxy.requests.length).toBeGreaterThan(2);
      expect(proxy.requests.every((line) => line === `POST ${path}`)).toBe(true);
    });
  }
});
