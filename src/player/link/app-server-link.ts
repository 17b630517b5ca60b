// The recorder's TCP link to the AppServer (the reference, "TCP/IP Interfacing"): the recorder connects out to the
// AppServer's host and port and keeps reconnecting; it sends FRST/LAST records and a keep-alive, and reads the
// AppServer's commands on the same connection.
//
// Dependable as the reference asks, no more: while the link is down, up to 25 records wait in a FIFO and go out in
// order once it is back; when the FIFO is full the newest records are dropped (not the oldest), each drop counted
// and logged. A record counts as sent once written to the socket (TCP acknowledges nothing to the application).
import { Socket } from 'node:net';
import type { Logger } from 'pino';
import { KEEP_ALIVE, LINE_END, LineReader, parseCommand } from './protocol.js';
import type { RemoteCommand } from '../server.js';

export interface AppServerLinkOptions {
  readonly host: string;
  readonly port: number;
  /** Seconds of quiet from the AppServer after which the recorder sends RecKA (default 30). */
  readonly keepAliveSeconds?: number;
  /** Records kept while the link is down (default 25, as the reference). */
  readonly bufferRecords?: number;
  /** Back-off between connection attempts (ms): doubles from the first up to the second (default 500 … 30,000). */
  readonly reconnectMs?: readonly [number, number];
  /** Lines from the AppServer longer than this are skipped (bytes, default 4096). */
  readonly maxLineBytes?: number;
  readonly logger: Logger;
  /** A command from the AppServer (TRAC, STOP, EJEC, PAUS, PLAY). */
  readonly onCommand: (command: RemoteCommand) => void;
}

export interface AppServerLinkStatus {
  readonly connected: boolean;
  readonly address: string;
  /** Records written to the AppServer, keep-alives not counted. */
  readonly sent: number;
  readonly waiting: number;
  /** Records dropped because the FIFO was full while the link was down. */
  readonly dropped: number;
  readonly keepAlives: number;
  readonly commands: number;
  /** Lines from the AppServer that were no command (thrown away) and lines over the length limit. */
  readonly ignored: number;
  readonly connects: number;
  readonly lastError?: string;
}

export class AppServerLink {
  readonly #options: AppServerLinkOptions;
  readonly #log: Logger;
  readonly #fifo: string[] = [];
  #socket: Socket | undefined;
  #connected = false;
  #stopped = true;
  #retryTimer: NodeJS.Timeout | undefined;
  #keepAliveTimer: NodeJS.Timeout | undefined;
  #backoff: number;
  #counts = { sent: 0, dropped: 0, keepAlives: 0, commands: 0, ignored: 0, connects: 0 };
  #lastError: string | undefined;

  constructor(options: AppServerLinkOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#backoff = this.#reconnect[0];
  }

  get #reconnect(): readonly [number, number] {
    return this.#options.reconnectMs ?? [500, 30_000];
  }

  get #address(): string {
    return `${this.#options.host}:${this.#options.port}`;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#keepAliveTimer);
    const socket = this.#socket;
    this.#socket = undefined;
    this.#connected = false;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }

  /** Send a FRST or LAST record now, or keep it for when the link is back (dropped when the FIFO is full). */
  send(record: string): void {
    if (this.#connected && this.#fifo.length === 0) {
      this.#write(record);
      return;
    }
    const limit = this.#options.bufferRecords ?? 25;
    if (this.#fifo.length >= limit) {
      this.#counts.dropped++;
      this.#log.warn({ appServer: this.#address, record, dropped: this.#counts.dropped }, `player link: AppServer not connected and ${limit} records waiting: record dropped`);
      return;
    }
    this.#fifo.push(record);
  }

  status(): AppServerLinkStatus {
    return {
      connected: this.#connected,
      address: this.#address,
      waiting: this.#fifo.length,
      ...this.#counts,
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
    };
  }

  #write(record: string): void {
    this.#socket!.write(record + LINE_END);
    this.#counts.sent++;
    this.#log.debug({ record }, 'player link: sent');
  }

  #connect(): void {
    if (this.#stopped) return;
    const socket = new Socket();
    this.#socket = socket;
    const reader = new LineReader(this.#options.maxLineBytes ?? 4096);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('connect', () => {
      this.#connected = true;
      this.#counts.connects++;
      this.#backoff = this.#reconnect[0];
      this.#lastError = undefined;
      this.#log.info({ appServer: this.#address, waiting: this.#fifo.length }, 'player link: connected to the AppServer');
      // What waited goes first, in order; then new records go straight out.
      for (const record of this.#fifo.splice(0)) this.#write(record);
      this.#armKeepAlive();
    });
    socket.on('data', (chunk: Buffer) => {
      const before = reader.oversized;
      const lines = reader.push(chunk);
      if (reader.oversized > before) {
        this.#counts.ignored += reader.oversized - before;
        this.#log.warn({ appServer: this.#address, maxBytes: this.#options.maxLineBytes ?? 4096 }, 'player link: a line from the AppServer over the length limit was skipped');
      }
      for (const line of lines) {
        if (line.trim() === '') continue;
        // Any traffic from the AppServer puts the keep-alive off by a whole interval.
        this.#armKeepAlive();
        const command = parseCommand(line);
        if (!command) {
          this.#counts.ignored++;
          this.#log.debug({ line: line.slice(0, 200) }, 'player link: unknown message from the AppServer, ignored');
          continue;
        }
        this.#counts.commands++;
        try {
          this.#options.onCommand(command);
        } catch (error) {
          this.#log.error({ err: error, command }, 'player link: the command failed');
        }
      }
    });
    socket.on('error', (error: Error) => {
      this.#lastError = error.message;
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      const wasConnected = this.#connected;
      this.#connected = false;
      this.#socket = undefined;
      clearTimeout(this.#keepAliveTimer);
      if (this.#stopped) return;
      if (wasConnected) this.#log.warn({ appServer: this.#address, reason: this.#lastError ?? 'closed by the AppServer' }, 'player link: AppServer connection lost');
      const wait = this.#backoff;
      this.#backoff = Math.min(this.#backoff * 2, this.#reconnect[1]);
      this.#retryTimer = setTimeout(() => this.#connect(), wait);
      this.#retryTimer.unref();
    });
    socket.connect(this.#options.port, this.#options.host);
  }

  #armKeepAlive(): void {
    clearTimeout(this.#keepAliveTimer);
    const ms = (this.#options.keepAliveSeconds ?? 30) * 1000;
    this.#keepAliveTimer = setTimeout(() => {
      if (!this.#connected) return;
      this.#socket!.write(KEEP_ALIVE + LINE_END);
      this.#counts.keepAlives++;
      this.#armKeepAlive();
    }, ms);
    this.#keepAliveTimer.unref();
  }
}
