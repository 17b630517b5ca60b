/**
 * The gateway's drive as the recorder sees it: a WebDAV server (webdav-server
 * v2) over a directory on disk, with basic authentication, the capture
 * directory DRIVE/CF0/REC, and the faults the admin endpoint switches
 * (drive down → 503, slow drive → every response delayed).
 */
import { mkdir, stat } from 'node:fs/promises';
import { close, createReadStream, open } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeHttp, listenHttp } from '../../platform/util/index.js';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import webdavServer from 'webdav-server';
import type { v2 as WebDav } from 'webdav-server';
import type { FaultState } from '../model.js';
import { DRIVE_REC_PATH } from '../model.js';

const { v2: webdav } = webdavServer;

export interface DriveOptions {
  /** Directory the drive serves; `<root>/DRIVE/CF0/REC` is created. */
  readonly root: string;
  readonly username: string;
  readonly password: string;
  /** The faults this drive answers to (the standby PBX's drive reads its own down switch). */
  readonly faults: Pick<FaultState, 'webdavDown' | 'driveSlowMs'>;
  readonly port?: number;
  /** Loopback address to listen on (default 127.0.0.1). */
  readonly host?: string;
}

export interface RunningDrive {
  /** `http://HOST:PORT/`: the drive's root collection. */
  readonly url: string;
  /** `http://HOST:PORT/DRIVE/CF0/REC/`: where captures appear. */
  readonly recUrl: string;
  /** The capture directory on disk. */
  readonly recDir: string;
  close(): Promise<void>;
}

export const DRIVE_REALM = 'innovaphone-drive';

/**
 * A physical file system whose GET streams stop at the size the same request
 * reported in Content-Length. Captures grow while they are read; without the
 * cap the body could run past the announced length and break the response.
 */
class GrowingFileSystem extends webdav.PhysicalFileSystem {
  private readonly sizesSeen = new WeakMap<object, Map<string, number>>();

  protected override _size(path: WebDav.Path, ctx: WebDav.SizeInfo, callback: WebDav.ReturnCallback<number>): void {
    super._size(path, ctx, (error, size) => {
      if (!error && size !== undefined) {
        let seen = this.sizesSeen.get(ctx.context);
        if (!seen) {
          seen = new Map();
          this.sizesSeen.set(ctx.context, seen);
        }
        seen.set(path.toString(), size);
      }
      callback(error, size);
    });
  }

  protected override _openReadStream(path: WebDav.Path, ctx: WebDav.OpenReadStreamInfo, callback: WebDav.ReturnCallback<Readable>): void {
    const size = this.sizesSeen.get(ctx.context)?.get(path.toString());
    const { realPath } = this.getRealPath(path);
    open(realPath, 'r', (error, fd) => {
      if (error) {
        callback(webdav.Errors.ResourceNotFound);
        return;
      }
      if (size === 0) {
        // A read stream cannot express an empty range; close the file and hand back an empty stream.
        close(fd, () => callback(undefined, Readable.from([])));
        return;
      }
      callback(undefined, createReadStream('', size === undefined ? { fd } : { fd, start: 0, end: size - 1 }));
    });
  }
}

/** Start the drive; resolves once it listens. */
export async function startDrive(options: DriveOptions): Promise<RunningDrive> {
  const host = options.host ?? '127.0.0.1';
  if (!options.username) throw new Error('drive: username must not be empty (authentication is always on)');
  const root = resolve(options.root);
  const rootStat = await stat(root).catch(() => undefined);
  if (!rootStat?.isDirectory()) throw new Error(`drive: root ${root} is not a directory`);
  const recDir = join(root, DRIVE_REC_PATH);
  await mkdir(recDir, { recursive: true });

  const users = new webdav.SimpleUserManager();
  const user = users.addUser(options.username, options.password, false);
  const privileges = new webdav.SimplePathPrivilegeManager();
  privileges.setRights(user, '/', ['all']);
  const dav = new webdav.WebDAVServer({
    requireAuthentification: true,
    httpAuthentication: new webdav.HTTPBasicAuthentication(users, DRIVE_REALM),
    privilegeManager: privileges,
    rootFileSystem: new GrowingFileSystem(root),
    serverName: 'embedded-gateway-drive',
  });
  const execute = (dav as unknown as { executeRequest: (req: IncomingMessage, res: ServerResponse) => void }).executeRequest.bind(dav);

  const server: Server = createServer((req, res) => {
    const handle = (): void => {
      if (options.faults.webdavDown) {
        req.resume();
        res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '5' });
        res.end('drive is not available\n');
        return;
      }
      if (req.method === 'MKCOL' && hasBody(req)) {
        // RFC 4918 9.3.1: a MKCOL body the server does not understand is refused (webdav-server ignores it).
        req.resume();
        res.writeHead(415, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('MKCOL with a request body is not supported\n');
        return;
      }
      tagUntaggedIfHeader(req);
      guardResponse(res);
      try {
        execute(req, res);
      } catch (error) {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    };
    const delay = options.faults.driveSlowMs;
    if (delay > 0) setTimeout(handle, delay);
    else handle();
  });
  const url = `${await listenHttp(server, options.port ?? 0, host)}/`;
  let closed = false;
  return {
    url,
    recUrl: `${url}${DRIVE_REC_PATH}/`,
    recDir,
    close: async () => {
      if (closed) return;
      closed = true;
      await closeHttp(server);
    },
  };
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/**
 * webdav-server v2 can answer a request twice (its PROPPATCH does with
 * several set/remove blocks) and then throws from a callback, which would
 * take the whole process down. Late header writes are dropped instead and a
 * late body write only fails that response.
 */
function guardResponse(res: ServerResponse): void {
  const setHeader = res.setHeader.bind(res);
  res.setHeader = ((name: string, value: number | string | readonly string[]) => (res.headersSent ? res : setHeader(name, value))) as typeof res.setHeader;
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => (res.headersSent ? res : writeHead(...args))) as typeof res.writeHead;
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  res.write = ((...args: unknown[]) => (res.writableEnded ? false : write(...args))) as typeof res.write;
  res.on('error', () => {
    // Already answered; the late write is the library's, not the client's, problem.
  });
}

/**
 * webdav-server v2 crashes (TypeError from a callback) on an untagged If
 * header such as `If: (<token>)` — the common form. An untagged list means
 * "the request URI", so it is tagged with that URI, which the library
 * handles. LOCK keeps its header: its lock refresh reads the bare token.
 */
function tagUntaggedIfHeader(req: IncomingMessage): void {
  const header = req.headers.if;
  if (typeof header !== 'string' || req.method === 'LOCK') return;
  if (!header.trimStart().startsWith('(')) return;
  const path = (req.url ?? '/').split('?')[0]!;
  req.headers.if = `<http://${req.headers.host ?? 'drive.invalid'}${path}> ${header}`;
}
