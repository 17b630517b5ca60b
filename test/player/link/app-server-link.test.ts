// The recorder's side of the player link against a scripted AppServer on loopback: exact bytes, order,
// keep-alive, the 25-record FIFO across an outage, reconnection, and what a careless AppServer may send.
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AppServerLink } from '../../../src/player/link/index.js';
import type { RemoteCommand } from '../../../src/player/index.js';
import { until } from '../../e2e/helpers/service-harness.js';
import { capturingLogger } from '../../e2e/helpers/service-harness.js';

/** An AppServer that keeps every byte each connection sent, and can talk back. */
class ScriptedAppServer {
  readonly received: string[] = [];
  readonly sockets: Socket[] = [];
  #server: Server | undefined;
  port = 0;

  async listen(port = 0): Promise<number> {
    const server = createServer((socket) => {
      const index = this.received.push('') - 1;
      this.sockets.push(socket);
      socket.on('data', (chunk: Buffer) => (this.received[index] += chunk.toString('latin1')));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  /** Everything received, all connections in order. */
  get all(): string {
    return this.received.join('');
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#server = undefined;
  }
}

const links: AppServerLink[] = [];
const servers: ScriptedAppServer[] = [];
afterEach(async () => {
  for (const link of links.splice(0)) await link.stop();
  for (const server of servers.splice(0)) await server.close();
});

function startLink(port: number, extra: Partial<ConstructorParameters<typeof AppServerLink>[0]> = {}): { link: AppServerLink; commands: RemoteCommand[] } {
  const commands: RemoteCommand[] = [];
  const link = new AppServerLink({ host: '127.0.0.1', port, logger: pino({ level: 'silent' }), reconnectMs: [50, 200], onCommand: (c) => commands.push(c), ...extra });
  links.push(link);
  link.start();
  return { link, commands };
}

async function appServer(port?: number): Promise<ScriptedAppServer> {
  const server = new ScriptedAppServer();
  servers.push(server);
  await server.listen(port);
  return server;
}

describe('AppServerLink', () => {
  it('sends each record as one CR LF line, in order; reads commands ending in CR, LF or CR LF', async () => {
    const server = await appServer();
    const { link, commands } = startLink(server.port);
    await until(() => link.status().connected, 10_000, 'connected');
    link.send('!FRST!24!c03a55c2e909d311b6450090331b3e3b!Rossi');
    link.send('!LAST!24!c03a55c2e909d311b6450090331b3e3b!2024_05_12_1400_03_i_012345_3_c03a55c2e909d311b6450090331b3e3b.wav!Rossi');
    await until(() => server.all.split('\r\n').length >= 3, 10_000, 'two records');
    expect(server.all).toBe('!FRST!24!c03a55c2e909d311b6450090331b3e3b!Rossi\r\n!LAST!24!c03a55c2e909d311b6450090331b3e3b!2024_05_12_1400_03_i_012345_3_c03a55c2e909d311b6450090331b3e3b.wav!Rossi\r\n');
    server.sockets[0]!.write('TRAC!Rossi!a.wav\rSTOP!Rossi\nPAUS!Bianchi\r\nPLAY!Rossi\r\nEJEC!Rossi\n');
    await until(() => commands.length === 5, 10_000, 'five commands');
    expect(commands).toEqual([
      { verb: 'TRAC', player: 'Rossi', track: 'a.wav' },
      { verb: 'STOP', player: 'Rossi' },
      { verb: 'PAUS', player: 'Bianchi' },
      { verb: 'PLAY', player: 'Rossi' },
      { verb: 'EJEC', player: 'Rossi' },
    ]);
    expect(link.status()).toMatchObject({ connected: true, sent: 2, commands: 5, ignored: 0, dropped: 0, connects: 1 });
  });

  it('sends RecKA when the AppServer has been quiet for the interval, and not while it sends commands', async () => {
    const server = await appServer();
    const { link, commands } = startLink(server.port, { keepAliveSeconds: 2 });
    await until(() => server.all.includes('RecKA\r\n'), 15_000, 'a first keep-alive');
    expect(server.all).toBe('RecKA\r\n');
    // Commands every 150 ms for 3 s: each puts the keep-alive off by a whole interval.
    const before = link.status().keepAlives;
    for (let i = 0; i < 20; i++) {
      server.sockets[0]!.write('PLAY!nobody\r\n');
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await until(() => commands.length === 20, 10_000, 'the commands');
    expect(link.status().keepAlives).toBe(before);
    // Counted as sent before the AppServer has read it: waited for where it arrives.
    await until(() => (server.all.match(/RecKA\r\n/g) ?? []).length >= 2, 15_000, 'the keep-alive after the commands stopped');
    expect(link.status().keepAlives).toBeGreaterThan(before);
    expect(server.all).toMatch(/^RecKA\r\n(RecKA\r\n)+$/);
  });

  it('keeps 25 records while the AppServer is away, drops the newest beyond (counted, logged), and sends the 25 in order on reconnect', async () => {
    // A port nobody listens on yet (taken and given back).
    const probe = await appServer();
    const port = probe.port;
    await probe.close();
    const { logger, records } = capturingLogger('info');
    const { link } = startLink(port, { logger });
    for (let i = 1; i <= 26; i++) link.send(`!FRST!20!uid${String(i).padStart(2, '0')}!Agent`);
    expect(link.status()).toMatchObject({ connected: false, waiting: 25, dropped: 1, sent: 0 });
    expect(records.some((r) => String(r.msg).includes('record dropped') && r.record === '!FRST!20!uid26!Agent')).toBe(true);
    const server = await appServer(port);
    await until(() => server.all.split('\r\n').length === 26, 15_000, '25 records after the reconnect');
    expect(server.all).toBe(Array.from({ length: 25 }, (_, i) => `!FRST!20!uid${String(i + 1).padStart(2, '0')}!Agent\r\n`).join(''));
    expect(link.status()).toMatchObject({ connected: true, waiting: 0, dropped: 1, sent: 25 });
  });

  it('reconnects when the AppServer drops the connection, and goes on', async () => {
    const server = await appServer();
    const { link } = startLink(server.port);
    await until(() => link.status().connected, 10_000, 'connected');
    server.sockets[0]!.destroy();
    await until(() => link.status().connects === 2 && link.status().connected, 15_000, 'connected again');
    link.send('!FRST!21!after!Bianchi');
    await until(() => server.received[1] === '!FRST!21!after!Bianchi\r\n', 10_000, 'the record on the new connection');
  });

  it('survives garbage and a 1 MB line from the AppServer: ignored, the connection kept, later commands obeyed', async () => {
    const server = await appServer();
    const { link, commands } = startLink(server.port);
    await until(() => link.status().connected, 10_000, 'connected');
    const socket = server.sockets[0]!;
    socket.write(Buffer.from([0, 255, 13, 10, 7, 33, 33, 10]));
    socket.write('HELLO\r\nTRAC!only-two-fields\r\n');
    socket.write(Buffer.alloc(1 << 20, 0x54));
    socket.write('\r\nEJEC!Rossi\r\n');
    await until(() => commands.length === 1, 15_000, 'the command after the junk');
    expect(commands).toEqual([{ verb: 'EJEC', player: 'Rossi' }]);
    expect(link.status()).toMatchObject({ connected: true, connects: 1 });
    expect(link.status().ignored).toBeGreaterThanOrEqual(4);
    link.send('!FRST!20!still!Rossi');
    await until(() => server.all.endsWith('!FRST!20!still!Rossi\r\n'), 10_000, 'a record after the junk');
  });
});
