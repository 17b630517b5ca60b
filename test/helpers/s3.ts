// An S3-compatible server on loopback for the tests (s3rver: objects on disk, Range GETs, multipart), behind a
// small proxy of our own that can be switched off: while "down" it drops every connection, as an unreachable
// server or a network outage looks to a client, and the server's objects stay as they are.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface S3Server {
  /** The endpoint clients use (the proxy's URL). */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Drop every connection (open ones too) until `up()`. */
  down(): void;
  up(): void;
  /** Requests that reached the server, by method (GET with a Range header counted as "RANGE"). */
  readonly requests: Record<string, number>;
  /** The headers of every PUT that reached the server, by object path (/bucket/key). */
  readonly puts: Map<string, Record<string, string | string[] | undefined>>;
  stop(): Promise<void>;
}

/** s3rver with `buckets` created, behind a switchable proxy, both on loopback ports of their own. */
export async function startS3(buckets: readonly string[]): Promise<S3Server> {
  const dir = mkdtempSync(join(tmpdir(), 'recorder-s3-'));
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
  const { port } = (await s3.run()) as AddressInfo;
  let isDown = false;
  const sockets = new Set<Socket>();
  const requests: Record<string, number> = {};
  const puts = new Map<string, Record<string, string | string[] | undefined>>();
  const proxy = createServer((req, res) => {
    if (isDown) {
      req.socket.destroy();
      return;
    }
    const kind = req.method === 'GET' && req.headers.range ? 'RANGE' : (req.method ?? '?');
    requests[kind] = (requests[kind] ?? 0) + 1;
    if (req.method === 'PUT') puts.set(decodeURIComponent(new URL(req.url ?? '/', 'http://s3').pathname), { ...req.headers });
    const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  proxy.on('connection', (socket: Socket) => {
    if (isDown) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyPort = (proxy.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${proxyPort}`,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    requests,
    puts,
    down() {
      isDown = true;
      for (const socket of sockets) socket.destroy();
    },
    up() {
      isDown = false;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => (proxy as Server).close(() => resolve()));
      await s3.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
