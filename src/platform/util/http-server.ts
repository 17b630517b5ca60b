// Listening and closing for the node:http servers of the simulator and the CDR interface, in one place: a failed
// listen rejects (port taken, address not local) instead of throwing later, and closing ends kept-alive
// connections so a stop never waits for a client's idle socket.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

/** Starts `server` on `host`:`port` (0: any free port); resolves with `http://host:port` as a client reaches it. */
export async function listenHttp(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${hostPart}:${address.port}`;
}

/** Stops accepting, drops open connections, and resolves once the server has closed. */
export async function closeHttp(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
