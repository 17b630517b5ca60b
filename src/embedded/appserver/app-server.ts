// An AppServer for the demo and the tests (`recorder appserver`): the other end of the recorder's player link, as
// an integrator's application server would be (the reference, "TCP/IP Interfacing"). It listens; the recorder
// connects. It logs every line, pairs each call's FRST with its LAST by UID, and sends commands (TRAC, STOP, …)
// typed by a person, clicked on its web page or sent by a test. It reads the protocol on its own (not with the
// recorder's code), so the two check each other.
import { EventEmitter } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { closeHttp, listenHttp } from '../../platform/util/index.js';

/** One line the recorder sent, with when it arrived (ms since epoch). */
export interface AppServerMessage {
  readonly at: number;
  readonly line: string;
}

/** A call as the AppServer learns of it: FRST, then LAST once its recording is playable. */
export interface AppServerCall {
  readonly uid: string;
  extension: string;
  agent: string;
  firstAt?: number;
  lastAt?: number;
  track?: string;
}

export interface EmbeddedAppServerOptions {
  readonly host?: string;
  /** TCP port the recorder connects to (0: any free one). */
  readonly port?: number;
  /** Also serve a web page on this port (0: any free one); absent: none. */
  readonly webPort?: number;
  /** Lines kept for `messages` (default 10,000). */
  readonly keep?: number;
}

/** Lines longer than this from the recorder are cut off (the recorder's records are short). */
const MAX_LINE = 64 * 1024;

export class EmbeddedAppServer extends EventEmitter<{ message: [AppServerMessage]; connection: [string]; disconnect: [string] }> {
  readonly messages: AppServerMessage[] = [];
  readonly calls = new Map<string, AppServerCall>();
  readonly #options: EmbeddedAppServerOptions;
  readonly #tcp: Server;
  readonly #peers = new Set<Socket>();
  #http: HttpServer | undefined;
  #address = '';
  #webUrl: string | undefined;

  constructor(options: EmbeddedAppServerOptions = {}) {
    super();
    this.#options = options;
    this.#tcp = createServer((socket) => this.#accept(socket));
  }

  /** host:port the recorder is to connect to. */
  get address(): string {
    return this.#address;
  }

  get webUrl(): string | undefined {
    return this.#webUrl;
  }

  /** Recorders connected now. */
  get connections(): number {
    return this.#peers.size;
  }

  async start(): Promise<{ address: string; webUrl?: string }> {
    const host = this.#options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.#tcp.once('error', reject);
      this.#tcp.listen(this.#options.port ?? 0, host, () => {
        this.#tcp.off('error', reject);
        resolve();
      });
    });
    const { port } = this.#tcp.address() as AddressInfo;
    this.#address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    if (this.#options.webPort !== undefined) {
      const http = createHttpServer((request, response) => void this.#web(request, response));
      this.#webUrl = await listenHttp(http, this.#options.webPort, host);
      this.#http = http;
    }
    return { address: this.#address, ...(this.#webUrl !== undefined ? { webUrl: this.#webUrl } : {}) };
  }

  async stop(): Promise<void> {
    for (const peer of this.#peers) peer.destroy();
    await new Promise<void>((resolve) => this.#tcp.close(() => resolve()));
    if (this.#http) await closeHttp(this.#http);
  }

  /** Send a command line (e.g. `TRAC!Rossi!<track>`) to the connected recorder(s); how many it went to. */
  send(line: string, ending = '\r\n'): number {
    for (const peer of this.#peers) peer.write(line + ending);
    return this.#peers.size;
  }

  /** Raw bytes to the recorder(s), for tests of what a careless AppServer sends. */
  sendRaw(bytes: Buffer | string): number {
    for (const peer of this.#peers) peer.write(bytes);
    return this.#peers.size;
  }

  /** Resolves with the first message from now on (or already received, with `since`) that `match` accepts. */
  waitFor(match: (message: AppServerMessage) => boolean, timeoutMs: number, since = this.messages.length): Promise<AppServerMessage> {
    const seen = this.messages.slice(since).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('message', listener);
        reject(new Error(`the AppServer got no such message within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (message: AppServerMessage): void => {
        if (!match(message)) return;
        clearTimeout(timer);
        this.off('message', listener);
        resolve(message);
      };
      this.on('message', listener);
    });
  }

  #accept(socket: Socket): void {
    this.#peers.add(socket);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.emit('connection', peer);
    let rest = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      rest += text;
      const lines = rest.split(/\r\n|\r|\n/);
      rest = lines.pop() ?? '';
      if (rest.length > MAX_LINE) rest = '';
      for (const line of lines) if (line !== '') this.#receive(line);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#peers.delete(socket);
      this.emit('disconnect', peer);
    });
  }

  #receive(line: string): void {
    const message = { at: Date.now(), line };
    this.messages.push(message);
    if (this.messages.length > (this.#options.keep ?? 10_000)) this.messages.shift();
    const fields = line.split('!');
    // "!FRST!ext!uid!agent" and "!LAST!ext!uid!track!agent": the first field is empty.
    if (fields[0] === '' && fields[1] === 'FRST' && fields.length === 5) {
      const call = this.#call(fields[3]!, fields[2]!, fields[4]!);
      call.firstAt ??= message.at;
    } else if (fields[0] === '' && fields[1] === 'LAST' && fields.length === 6) {
      const call = this.#call(fields[3]!, fields[2]!, fields[5]!);
      call.lastAt = message.at;
      call.track = fields[4]!;
    }
    this.emit('message', message);
  }

  #call(uid: string, extension: string, agent: string): AppServerCall {
    let call = this.calls.get(uid);
    if (!call) {
      call = { uid, extension, agent };
      this.calls.set(uid, call);
    }
    call.extension = extension;
    call.agent = agent;
    return call;
  }

  async #web(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://appserver');
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
      response.end(JSON.stringify(body));
    };
    if (request.method === 'GET' && url.pathname === '/') {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'" });
      response.end(PAGE);
      return;
    }
    if (request.method === 'GET' && url.pathname === '/api/state') {
      const calls = [...this.calls.values()].slice(-200).reverse();
      return json(200, { connections: this.#peers.size, calls, messages: this.messages.slice(-50).reverse() });
    }
    if (request.method === 'POST' && url.pathname === '/api/send') {
      let body = '';
      for await (const chunk of request) {
        body += String(chunk);
        if (body.length > 4096) return json(413, { error: 'too long' });
      }
      let line: unknown;
      try {
        line = (JSON.parse(body) as { line?: unknown }).line;
      } catch {
        return json(400, { error: 'expected JSON {"line": "TRAC!player!track"}' });
      }
      if (typeof line !== 'string' || line === '' || /[\r\n]/.test(line)) return json(400, { error: 'line: one line of text' });
      return json(200, { sentTo: this.send(line) });
    }
    json(404, { error: 'not found' });
  }
}

// The page: the calls as FRST/LAST pairs, a play button per recording (TRAC to the named player), and a command line.
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AppServer (embedded)</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}h1{font-size:1.2em}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;font-family:ui-monospace,monospace;font-size:12px}
button{cursor:pointer}#status{color:#666}input{font-family:ui-monospace,monospace}
</style></head><body>
<h1>AppServer (embedded) — the recorder's player link</h1>
<p id="status">…</p>
<p>Player name <input id="player" value="supervisor" size="16"> <button id="stop">STOP</button> <button id="paus">PAUS</button>
<button id="play">PLAY</button> <button id="ejec">EJEC</button> · command <input id="line" size="50" placeholder="TRAC!player!track">
<button id="send">send</button></p>
<table><thead><tr><th>UID</th><th>agent</th><th>FRST</th><th>LAST</th><th>track</th><th></th></tr></thead><tbody id="calls"></tbody></table>
<h2>Last messages</h2><pre id="messages"></pre>
<script>
const $ = (id) => document.getElementById(id);
const time = (ms) => (ms ? new Date(ms).toLocaleTimeString() : '');
async function send(line) {
  const res = await fetch('/api/send', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ line }) });
  $('status').textContent = res.ok ? 'sent: ' + line : 'not sent: ' + (await res.text());
}
for (const verb of ['stop', 'paus', 'play', 'ejec']) $(verb).onclick = () => send(verb.toUpperCase() + '!' + $('player').value);
$('send').onclick = () => send($('line').value);
async function refresh() {
  try {
    const state = await (await fetch('/api/state')).json();
    $('status').textContent = state.connections ? 'recorder connected' : 'waiting for the recorder to connect…';
    const body = $('calls');
    body.textContent = '';
    for (const call of state.calls) {
      const row = body.insertRow();
      for (const text of [call.uid, call.extension + ' ' + call.agent, time(call.firstAt), time(call.lastAt), call.track || '']) row.insertCell().textContent = text;
      const cell = row.insertCell();
      if (call.track) {
        const button = document.createElement('button');
        button.textContent = '▶ play';
        button.onclick = () => send('TRAC!' + $('player').value + '!' + call.track);
        cell.append(button);
      }
    }
    $('messages').textContent = state.messages.map((m) => new Date(m.at).toLocaleTimeString() + '  ' + m.line).join('\\n');
  } catch {
    $('status').textContent = 'AppServer not reachable';
  }
}
refresh();
setInterval(refresh, 1000);
</script></body></html>
`;
