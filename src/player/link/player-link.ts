// The player link as a whole: the change feed's call starts and filed recordings become FRST and LAST records for
// the AppServer, the AppServer's commands go to the named web players, and the URL interface on 127.0.0.1 drives
// the players of this machine. It runs where the players are served (`recorder serve`, the demo); `recorder run`
// reaches it through the change feed, so LAST follows the filing within milliseconds, without polling.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { closeHttp, listenHttp } from '../../platform/util/index.js';
import type { RecordingChange, Recordings } from '../../recordings/index.js';
import { RemoteCommandError } from '../server.js';
import type { PlayerServer, RemoteCommand, RemoteOutcome, RemoteVerb } from '../server.js';
import { AppServerLink } from './app-server-link.js';
import type { AppServerLinkStatus } from './app-server-link.js';
import { commandMessage, firstMessage, lastMessage } from './protocol.js';

export interface PlayerLinkOptions {
  readonly recordings: Recordings;
  readonly server: PlayerServer;
  readonly logger: Logger;
  /** The AppServer to connect to; without it no TCP link (the URL interface may still run). */
  readonly appServer?: { readonly host: string; readonly port: number; readonly keepAliveSeconds?: number; readonly bufferRecords?: number; readonly reconnectMs?: readonly [number, number] };
  /** The URL interface's port on 127.0.0.1 (0: any free port); absent: none. */
  readonly urlPort?: number;
}

export interface PlayerLinkStatus {
  readonly appServer?: AppServerLinkStatus;
  readonly urlInterface?: string;
  /** Connected player instances by name. */
  readonly players: Record<string, number>;
}

/** The URL interface's commands (the reference, "URL Interfacing") and what they do. */
const URL_COMMANDS: ReadonlyArray<readonly [string, RemoteVerb]> = [
  ['IPLTRAC', 'TRAC'],
  ['IPLPLAY', 'PLAY'],
  ['IPLSTOP', 'STOP'],
  ['IPLEJECT', 'EJEC'],
  ['IPLPAUS', 'PAUS'],
];

/** The conference id a recording's call id starts with (a phone's capture adds its device and counter). */
export function uidOfCallId(callId: string): string {
  return callId.split('-')[0]!;
}

export class PlayerLink {
  readonly #options: PlayerLinkOptions;
  readonly #log: Logger;
  readonly #link: AppServerLink | undefined;
  #http: Server | undefined;
  #urlInterface: string | undefined;
  readonly #onChange = (change: RecordingChange): void => this.#tell(change);

  constructor(options: PlayerLinkOptions) {
    this.#options = options;
    this.#log = options.logger;
    if (options.appServer) {
      this.#link = new AppServerLink({ ...options.appServer, logger: options.logger, onCommand: (command) => this.#command(command, 'AppServer') });
    }
  }

  /** The URL interface's address once listening. */
  get urlInterface(): string | undefined {
    return this.#urlInterface;
  }

  async start(): Promise<void> {
    this.#options.recordings.on('change', this.#onChange);
    this.#link?.start();
    if (this.#options.urlPort !== undefined) {
      const http = createServer((request, response) => this.#url(request, response));
      this.#urlInterface = await listenHttp(http, this.#options.urlPort, '127.0.0.1');
      this.#http = http;
      this.#log.info({ url: this.#urlInterface }, 'player link: URL interface listening');
    }
  }

  async stop(): Promise<void> {
    this.#options.recordings.off('change', this.#onChange);
    await this.#link?.stop();
    if (this.#http) await closeHttp(this.#http);
    this.#http = undefined;
  }

  status(): PlayerLinkStatus {
    return {
      ...(this.#link ? { appServer: this.#link.status() } : {}),
      ...(this.#urlInterface !== undefined ? { urlInterface: this.#urlInterface } : {}),
      players: Object.fromEntries(this.#options.server.playerNames()),
    };
  }

  /** FRST for a call start, LAST for a filed recording; the rest of the feed is not the AppServer's business. */
  #tell(change: RecordingChange): void {
    if (!this.#link) return;
    if (change.kind === 'started') {
      this.#link.send(firstMessage({ extension: change.extension, uid: change.callId, agent: change.agent }));
      return;
    }
    if (change.kind !== 'filed') return;
    const recordings = this.#options.recordings;
    void recordings
      .ensureIndexed(change.name)
      .then((indexed) => {
        const row = indexed ? recordings.row(change.name) : undefined;
        if (!row) {
          this.#log.warn({ recording: change.name }, 'player link: a filed recording is not in the index: no LAST for it');
          return;
        }
        const record = { extension: row.internal, uid: uidOfCallId(row.callId), track: `${row.name}.${row.format}`, agent: row.internalName ?? row.internal };
        this.#link!.send(lastMessage(record));
      })
      .catch((error: unknown) => this.#log.error({ err: error, recording: change.name }, 'player link: no LAST for a filed recording'));
  }

  /** A command for the players: delivered, refused or unheard, each logged. */
  #command(command: RemoteCommand, from: string, local = false): RemoteOutcome {
    let outcome: RemoteOutcome;
    try {
      outcome = local ? this.#options.server.remoteControlLocal(command, command.player || undefined) : this.#options.server.remoteControl(command);
    } catch (error) {
      if (!(error instanceof RemoteCommandError)) throw error;
      this.#log.warn({ from, command: commandMessage(command), reason: error.message }, 'player link: command refused');
      return { delivered: 0, refused: 0 };
    }
    const text = local ? `${command.verb}${command.track !== undefined ? ` ${command.track}` : ''} (local players)` : commandMessage(command);
    if (outcome.unknownTrack) this.#log.warn({ from, command: text }, 'player link: TRAC of a track the store does not have: nothing played');
    else if (outcome.refused > 0) this.#log.warn({ from, command: text, refused: outcome.refused, delivered: outcome.delivered }, 'player link: TRAC refused to players whose account may not hear the track');
    else if (outcome.delivered === 0) this.#log.info({ from, command: text }, 'player link: no such player connected: command not delivered');
    else this.#log.info({ from, command: text, delivered: outcome.delivered }, 'player link: command delivered');
    return outcome;
  }

  /** GET http://127.0.0.1:PORT/IPLTRAC<track> and the others; `?player=NAME` picks one local player. */
  #url(request: IncomingMessage, response: ServerResponse): void {
    const reply = (status: number, text: string): void => {
      response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      response.end(`${text}\n`);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply(405, 'GET only');
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname.slice(1));
    } catch {
      return reply(400, 'bad URL encoding');
    }
    const match = URL_COMMANDS.find(([prefix]) => path.startsWith(prefix));
    if (!match) return reply(404, `unknown command; expected one of ${URL_COMMANDS.map(([prefix]) => prefix).join(', ')}`);
    const [prefix, verb] = match;
    const rest = path.slice(prefix.length);
    if (verb !== 'TRAC' && rest !== '') return reply(404, `${prefix} takes nothing after it`);
    if (verb === 'TRAC' && rest === '') return reply(400, 'IPLTRAC needs a track: IPLTRAC<recording file name>');
    const player = url.searchParams.get('player') ?? '';
    const outcome = this.#command({ verb, player, ...(verb === 'TRAC' ? { track: rest } : {}) }, 'URL interface', true);
    reply(200, outcome.delivered > 0 ? `ok: ${outcome.delivered} player${outcome.delivered === 1 ? '' : 's'}` : 'no local player took it');
  }
}
