// HTTP servers on loopback (port 0) for tests that play a hostile or scripted peer; closed together after the file.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const servers: Server[] = [];

/** Start a server with `handler`; resolves to its base URL (`http://127.0.0.1:PORT`). */
export async function loopbackServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Close every server started with loopbackServer (for afterAll). */
export async function closeLoopbackServers(): Promise<void> {
  const open = servers.splice(0);
  for (const server of open) server.closeAllConnections();
  await Promise.all(open.map((server) => new Promise((resolve) => server.close(resolve))));
}
