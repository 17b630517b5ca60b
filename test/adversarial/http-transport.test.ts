// `recorder serve` over TLS, Secure cookies and HSTS, and reverse proxies: only an allow-listed proxy's
// X-Forwarded-* headers count, so a client can neither fake HTTPS nor pick the address the login limit counts.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlayerServer } from '../../src/player/index.js';
import { type Fixture, PASSWORD, makeFixture, startServer } from '../player/helpers.js';
import { requireTool } from '../helpers/tools.js';
import { runCliChild } from '../helpers/child-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'recorder-http-transport-'));
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');

beforeAll(() => {
  requireTool('openssl');
  // A self-signed certificate for 127.0.0.1 (openssl from Debian; the README lists it).
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl could not make a test certificate: ${made.stderr}`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function httpsCall(url: string, path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, url), { method: init.method ?? 'GET', ca: readFileSync(cert), headers: init.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

async function login(url: string, headers: Record<string, string> = {}, password = PASSWORD): Promise<Response> {
  return fetch(new URL('/api/login', url), { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ user: 'sue', password }) });
}

describe('adversarial: transport and proxies', () => {
  it('recorder serve with tlsCert/tlsKey: HTTPS only, HSTS, Secure session cookie', async () => {
    const config = join(dir, 'recorder.toml');
    writeFileSync(
      config,
      `[pbx]\nurl = "http://127.0.0.1:1"\nusername = "u"\npassword = "p"\n[reporting]\nurl = "http://127.0.0.1:2"\nusername = "u"\npassword = "p"\n` +
        `[drive]\nkind = "local"\npath = "${join(dir, 'drive')}"\n[storage]\nroot = "${join(dir, 'rec')}"\n[server]\nport = 0\ntlsCert = "cert.pem"\ntlsKey = "key.pem"\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../helpers/run-cli.ts'), 'serve', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /Player at (https:\/\/\S+)/.exec(out);
          if (match) resolve(match[1]!);
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
      });
      const page = await httpsCall(url, '/');
      expect(page.status).toBe(200);
      expect(page.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      const session = await httpsCall(url, '/api/login', { method: 'POST', body: JSON.stringify({ user: 'nobody', password: 'x' }), headers: { 'Content-Type': 'application/json' } });
      expect(session.status).toBe(401);
      // Plain HTTP to the TLS port gets nowhere.
      await expect(fetch(url.replace('https:', 'http:'))).rejects.toThrow();
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it('recorder serve refuses half a TLS setting or a file that is not PEM, naming the setting (exit 2)', async () => {
    const run = async (server: string): Promise<{ status: number | null; stderr: string }> => {
      const config = join(dir, `bad-${Math.random().toString(36).slice(2)}.toml`);
      writeFileSync(config, `[pbx]\nurl = "http://127.0.0.1:1"\nusername = "u"\npassword = "p"\n[reporting]\nurl = "http://127.0.0.1:2"\nusername = "u"\npassword = "p"\n[drive]\nkind = "local"\npath = "${dir}"\n[storage]\nroot = "${join(dir, 'rec')}"\n[server]\nport = 0\n${server}\n`);
      const result = await runCliChild(['serve', '-c', config], { timeoutMs: 60_000 });
      return { status: result.code, stderr: result.stderr };
    };
    const half = await run('tlsCert = "cert.pem"');
    expect(half.status).toBe(2);
    expect(half.stderr).toMatch(/server\.tlsKey: tlsCert and tlsKey go together/);
    writeFileSync(join(dir, 'junk.pem'), 'not a certificate\n');
    const notPem = await run(`tlsCert = "junk.pem"\ntlsKey = "key.pem"`);
    expect(notPem.status).toBe(2);
    expect(notPem.stderr).toMatch(/server\.tlsCert: .* is not a PEM file/);
    const badProxy = await run('trustProxy = ["10.0.0.0/33"]');
    expect(badProxy.status).toBe(2);
    expect(badProxy.stderr).toMatch(/server\.trustProxy\[0\]: expected an IP address or a CIDR block/);
  });

  describe('behind a reverse proxy', () => {
    let fixture: Fixture;
    let trusting: { server: PlayerServer; url: string };
    let untrusting: { server: PlayerServer; url: string };
    beforeAll(async () => {
      fixture = await makeFixture();
      const limit = { loginLimit: { maxFailuresPerUser: 1000, maxFailuresPerAddress: 3 } };
      trusting = await startServer(fixture, { ...limit, trustProxy: ['127.0.0.0/8', '::1'], accountsPath: join(fixture.dir, 'a1.sqlite') });
      untrusting = await startServer(fixture, { ...limit, accountsPath: join(fixture.dir, 'a2.sqlite') });
    });
    afterAll(async () => {
      await trusting?.server.close();
      await untrusting?.server.close();
      await fixture?.cleanup();
    });

    it('a trusted proxy saying https marks the cookie Secure; an untrusted peer saying so does not', async () => {
      const viaProxy = await login(trusting.url, { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '198.51.100.7' });
      expect(viaProxy.status).toBe(200);
      expect(viaProxy.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
      expect(viaProxy.headers.get('strict-transport-security')).toMatch(/max-age/);
      const spoofed = await login(untrusting.url, { 'X-Forwarded-Proto': 'https' });
      expect(spoofed.status).toBe(200);
      expect(spoofed.headers.get('set-cookie')).not.toMatch(/;\s*Secure/i);
    });

    it('the login limit counts the forwarded client behind a trusted proxy, and the real peer otherwise', async () => {
      // Behind the trusted proxy: one client locked out, another client through the same proxy still gets in.
      for (let i = 0; i < 3; i++) expect((await login(trusting.url, { 'X-Forwarded-For': '203.0.113.5' }, `wrong-${i}`)).status).toBe(401);
      expect((await login(trusting.url, { 'X-Forwarded-For': '203.0.113.5' })).status).toBe(429);
      expect((await login(trusting.url, { 'X-Forwarded-For': '203.0.113.6' })).status).toBe(200);
      // A client claiming to be someone else in X-Forwarded-For (a trusted proxy appends the real peer): still counted.
      for (let i = 0; i < 3; i++) expect((await login(trusting.url, { 'X-Forwarded-For': `192.0.2.${i}, 203.0.113.9` }, `wrong-${i}`)).status).toBe(401);
      expect((await login(trusting.url, { 'X-Forwarded-For': '192.0.2.200, 203.0.113.9' })).status).toBe(429);
      // Without trust, rotating X-Forwarded-For does not escape the limit on the real peer.
      for (let i = 0; i < 3; i++) expect((await login(untrusting.url, { 'X-Forwarded-For': `203.0.113.${20 + i}` }, `wrong-${i}`)).status).toBe(401);
      expect((await login(untrusting.url, { 'X-Forwarded-For': '203.0.113.99' })).status).toBe(429);
    });
  });
});
