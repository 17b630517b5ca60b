// Server-sent events: each open /api/events stream belongs to one session (its account and player name).
import type { ServerResponse } from 'node:http';
import type { Account } from './accounts.js';

export interface EventClient {
  readonly account: Account;
  readonly res: ServerResponse;
}

const HEARTBEAT_MS = 20_000;

export class EventHub {
  readonly #clients = new Set<EventClient>();
  readonly #timer: NodeJS.Timeout;
  #nextId = 1;

  constructor() {
    // A comment line keeps proxies from closing an idle stream and lets a dead peer be noticed.
    this.#timer = setInterval(() => {
      for (const client of this.#clients) client.res.write(': keep-alive\n\n');
    }, HEARTBEAT_MS);
    this.#timer.unref();
  }

  get size(): number {
    return this.#clients.size;
  }

  add(account: Account, res: ServerResponse): EventClient {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    const client: EventClient = { account, res };
    this.#clients.add(client);
    res.on('close', () => this.#clients.delete(client));
    this.send(client, 'hello', { user: account.name, player: account.player });
    return client;
  }

  send(client: EventClient, event: string, data: unknown): void {
    client.res.write(`id: ${this.#nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Send to each client `select` returns data for; returns how many received it. */
  broadcast(event: string, select: (client: EventClient) => unknown): number {
    let sent = 0;
    for (const client of this.#clients) {
      const data = select(client);
      if (data === undefined) continue;
      this.send(client, event, data);
      sent++;
    }
    return sent;
  }

  /** End the streams of one account (logout, password change) or of everyone. */
  closeAll(account?: string): void {
    for (const client of [...this.#clients]) {
      if (account !== undefined && client.account.name !== account) continue;
      this.#clients.delete(client);
      client.res.end();
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.closeAll();
  }
}
