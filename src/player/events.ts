// Server-sent events: each open /api/events stream belongs to one session (its account and player name).
import type { ServerResponse } from 'node:http';
import type { Account } from './accounts.js';

export interface EventClient {
  readonly account: Account;
  readonly res: ServerResponse;
  /** The name this player answers to for remote control: chosen at log-in or in its settings, else the account's. */
  readonly player: string;
  /** The browser runs on this machine (a loopback address): the URL interface's "local player". */
  readonly local: boolean;
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

  add(account: Account, res: ServerResponse, where: { readonly player?: string; readonly local?: boolean } = {}): EventClient {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    const client: EventClient = { account, res, player: where.player ?? account.player, local: where.local === true };
    this.#clients.add(client);
    res.on('close', () => this.#clients.delete(client));
    this.send(client, 'hello', { user: account.name, player: client.player });
    return client;
  }

  send(client: EventClient, event: string, data: unknown): void {
    client.res.write(`id: ${this.#nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Connected clients by player name. */
  playerNames(): Map<string, number> {
    const names = new Map<string, number>();
    for (const client of this.#clients) names.set(client.player, (names.get(client.player) ?? 0) + 1);
    return names;
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
