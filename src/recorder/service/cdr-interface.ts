/**
 * The recorder as a CDR interface of the PBX: an HTTP endpoint the PBX posts
 * each call's CDR-XML to at the call's end (as it does to Reporting's
 * ap/cdr.fcgi), so a capture is decided as soon as its call is over instead of
 * after polling the reporting.
 *
 * A CDR is answered 200 only once it is on disk (written whole, then renamed
 * into place), so a CDR the PBX saw accepted survives a crash; the PBX keeps
 * and re-sends what was not accepted. The same CDR posted twice is stored
 * once (named after its id, or its digest). CDRs wait in `inbox/<conf>/` until
 * they are `keepHours` old: most calls are never recorded, and a conference's
 * records serve every capture of it (gateway and phones).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeHttp, listenHttp } from '../../platform/util/index.js';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CryptoError, decryptBytes, encryptBytes, hasContainerMagic } from '../../platform/crypto/index.js';
import type { Keyring } from '../../platform/crypto/index.js';
import { CdrParseError, parseCdrXml } from '../pbx/index.js';
import type { Cdr } from '../pbx/index.js';

export interface CdrInterfaceOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly username: string;
  readonly password: string;
  /** Where accepted CDRs are kept. */
  readonly inboxDir: string;
  /** Largest request body (default 1 MiB: a PBX buffers 300 kB of CDRs in all). */
  readonly maxBodyBytes?: number;
  /** Told about refused requests (bad credentials, unreadable CDRs), with the reason. */
  readonly onRefused?: (reason: string, remote: string | undefined) => void;
  /** Keep the CDRs sealed with these keys (encryption on: the numbers of every call are personal data). */
  readonly seal?: Keyring;
}

export interface CdrInterfaceEvents {
  /** CDRs of conference `conf` were stored. */
  cdr: [conf: string];
}

/** A conference's CDRs as received, and when the last of them arrived (ms since epoch). */
export interface ReceivedCdrs {
  readonly legs: Cdr[];
  readonly lastArrival: number;
}

const CONF = /^[0-9a-f]{1,64}$/;

export class CdrInterface extends EventEmitter<CdrInterfaceEvents> {
  private server: Server | undefined;
  private readonly expectedAuth: Buffer;
  /** CDRs stored since start. */
  received = 0;
  /** Requests refused since start. */
  refused = 0;

  constructor(private readonly options: CdrInterfaceOptions) {
    super();
    this.expectedAuth = digest(`Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`);
  }

  /** Start listening; resolves to the URL the PBX's CDR interface is to post to. */
  async listen(): Promise<string> {
    await mkdir(this.options.inboxDir, { recursive: true, mode: 0o700 });
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) answer(res, 500, 'internal error');
        else res.destroy();
      });
    });
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    this.server = server;
    return `${await listenHttp(server, this.options.port, this.options.host)}${this.options.path}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await closeHttp(server);
  }

  /** The CDRs received for `conf` (lower-case hex), or undefined when none came. */
  async cdrsFor(conf: string): Promise<ReceivedCdrs | undefined> {
    const id = conf.toLowerCase();
    if (!CONF.test(id)) return undefined;
    const folder = join(this.options.inboxDir, id);
    let names: string[];
    try {
      names = (await readdir(folder)).filter((name) => name.endsWith('.xml')).sort();
    } catch {
      return undefined;
    }
    const legs: Cdr[] = [];
    let lastArrival = 0;
    for (const name of names) {
      const path = join(folder, name);
      try {
        const [bytes, info] = await Promise.all([readFile(path), stat(path)]);
        lastArrival = Math.max(lastArrival, info.mtimeMs);
        const plain = hasContainerMagic(bytes) && this.options.seal ? decryptBytes(bytes, this.options.seal) : bytes;
        legs.push(...parseCdrXml(plain.toString('utf8'), path).filter((cdr) => cdr.conf === id));
      } catch (error) {
        // Checked before it was stored; a file that no longer reads (or under a key no longer held) is left out,
        // not allowed to stop the call: the reporting is asked instead.
        if (!(error instanceof CdrParseError) && !(error instanceof CryptoError) && (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return legs.length > 0 ? { legs, lastArrival } : undefined;
  }

  /** Conferences whose last CDR arrived within `maxAgeMs` (lower-case hex ids). */
  async conferencesSince(maxAgeMs: number, now = Date.now()): Promise<string[]> {
    let folders: string[];
    try {
      folders = await readdir(this.options.inboxDir);
    } catch {
      return [];
    }
    const recent: string[] = [];
    for (const folder of folders) {
      if (!CONF.test(folder)) continue;
      try {
        if (now - (await stat(join(this.options.inboxDir, folder))).mtimeMs <= maxAgeMs) recent.push(folder);
      } catch {
        // Swept meanwhile.
      }
    }
    return recent;
  }

  /** Remove conferences whose last CDR is older than `maxAgeMs`; returns how many. */
  async sweep(maxAgeMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    let folders: string[];
    try {
      folders = await readdir(this.options.inboxDir);
    } catch {
      return 0;
    }
    for (const folder of folders) {
      const path = join(this.options.inboxDir, folder);
      try {
        if (folder.startsWith('.tmp-')) {
          await rm(path, { force: true });
          continue;
        }
        const info = await stat(path);
        if (now - info.mtimeMs > maxAgeMs) {
          await rm(path, { recursive: true, force: true });
          removed++;
        }
      } catch {
        // Gone meanwhile.
      }
    }
    return removed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const remote = req.socket.remoteAddress;
    const refuse = (status: number, reason: string, headers: Record<string, string> = {}): void => {
      this.refused++;
      this.options.onRefused?.(reason, remote);
      answer(res, status, reason, headers);
    };
    const path = new URL(req.url ?? '/', 'http://cdr.invalid').pathname;
    if (path !== this.options.path) return answer(res, 404, 'not found');
    const auth = req.headers.authorization;
    if (auth === undefined || !timingSafeEqual(digest(auth), this.expectedAuth)) {
      req.resume();
      return refuse(401, 'authentication required', { 'www-authenticate': 'Basic realm="recorder CDR interface", charset="UTF-8"' });
    }
    if (req.method !== 'POST') {
      req.resume();
      return refuse(405, 'POST the CDR-XML', { allow: 'POST' });
    }
    const limit = this.options.maxBodyBytes ?? 1024 * 1024;
    const body = await readBody(req, limit);
    if (body === undefined) return refuse(413, `larger than ${limit} bytes`);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      return refuse(400, 'the body is not UTF-8');
    }
    // A form post carries the XML in a field; a plain post is the XML itself.
    if (/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
      text = [...new URLSearchParams(text).values()].find((value) => value.trimStart().startsWith('<')) ?? '';
    }
    let cdrs: Cdr[];
    try {
      cdrs = parseCdrXml(text, `CDR post from ${remote ?? 'unknown'}`);
    } catch (error) {
      if (error instanceof CdrParseError) return refuse(400, error.message);
      throw error;
    }
    if (cdrs.length === 0) return refuse(400, 'no <cdr> in the request');
    const conferences = new Set<string>();
    for (const cdr of cdrs) {
      await this.store(cdr);
      conferences.add(cdr.conf);
    }
    this.received += cdrs.length;
    answer(res, 200, 'OK');
    for (const conf of conferences) this.emit('cdr', conf);
  }

  private async store(cdr: Cdr): Promise<void> {
    const xml = cdr.source ?? '';
    const key = cdr.id && /^[0-9a-fA-F]{1,64}$/.test(cdr.id) ? cdr.id.toLowerCase() : createHash('sha256').update(xml).digest('hex').slice(0, 32);
    const folder = join(this.options.inboxDir, cdr.conf);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const temp = join(this.options.inboxDir, `.tmp-${randomBytes(8).toString('hex')}`);
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(this.options.seal ? encryptBytes(Buffer.from(xml, 'utf8'), this.options.seal) : xml);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(folder, `${key}.xml`));
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function answer(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(`${text}\n`);
}

/** The body, or undefined once it passes `limit` (the rest is not read). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      req.resume();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
