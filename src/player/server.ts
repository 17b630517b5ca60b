// The player server on Fastify: the HTTP API over the recordings, the web player's files, server-sent events
// (new recordings, changes, remote control). HTTPS with a certificate; reverse proxies on an allow-list.
import { timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { CryptoError } from '../platform/crypto/index.js';
import type { Keyring } from '../platform/crypto/index.js';
import { FieldError } from '../platform/util/index.js';
import { StoreError, parseRecordingName } from '../recordings/index.js';
import type { RecordingChange, Recordings } from '../recordings/index.js';
import { AccountStore } from './accounts.js';
import type { SessionLimits } from './accounts.js';
import { canSee, recordingJson } from './access.js';
import { AuditLog } from './audit.js';
import { Approvals } from './approvals.js';
import type { FourEyesAction } from './approvals.js';
import type { ReconcileReport } from '../recorder/reconcile/index.js';
import { CSRF_HEADER, SESSION_COOKIE } from './context.js';
import type { PlayerContext } from './context.js';
import { AccountError, HttpError } from './errors.js';
import { EventHub } from './events.js';
import type { EventClient } from './events.js';
import { MAX_BODY_BYTES, SECURITY_HEADERS } from './http.js';
import { IntegrityGuard } from './integrity.js';
import { LoginLimiter } from './limiter.js';
import type { LoginLimitOptions } from './limiter.js';
import { approvalRoutes, audioRoutes, auditRoutes, eventRoutes, holdRoutes, recordingRoutes, searchRoutes, sessionRoutes, statusRoutes } from './routes/index.js';
import { defaultWebRoot } from './web-root.js';
import { WaveformCache } from './waveform.js';
import { PcapPlaybackCache } from './pcap-playback.js';

export type RemoteVerb = 'TRAC' | 'STOP' | 'EJEC' | 'PAUS' | 'PLAY';
export const REMOTE_VERBS: readonly RemoteVerb[] = ['TRAC', 'STOP', 'EJEC', 'PAUS', 'PLAY'];

export interface RemoteCommand {
  readonly verb: RemoteVerb;
  /** The player instance (an account's player name). */
  readonly player: string;
  /** TRAC: the recording to play (its name, with or without extension). */
  readonly track?: string;
}

/** What became of a remote-control command. */
export interface RemoteOutcome {
  /** Player instances (browser pages) that received it. */
  readonly delivered: number;
  /** Instances of that name whose account may not hear the track (TRAC): told nothing. */
  readonly refused: number;
  /** TRAC: the track is no recording of the store. */
  readonly unknownTrack?: boolean;
}

export class RemoteCommandError extends FieldError {
  constructor(field: string, reason: string) {
    super(field, reason, 'remote control');
  }
}

export interface PlayerServerOptions {
  /** The store's recordings; the server follows their change feed (this process's changes and other processes'). */
  readonly recordings: Recordings;
  /** SQLite file of accounts, sessions and "last played" (created when missing). */
  readonly accountsPath: string;
  /** Keys to decrypt recordings (default: the recordings' keyring). */
  readonly keyring?: Keyring;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 8080; 0 = any free port. */
  readonly port?: number;
  /** Serve HTTPS with this certificate. */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /**
   * Reverse proxies (addresses or CIDR blocks) whose X-Forwarded-Proto and X-Forwarded-For are believed: behind a
   * TLS-terminating proxy, `https` marks cookies Secure, and the client's own address is what the login limit and
   * the audit log see. Headers from any other peer are ignored.
   */
  readonly trustProxy?: readonly string[];
  /** Always mark cookies Secure. */
  readonly secureCookies?: boolean;
  /** Folder of the web player's files (default: web/ of this package). */
  readonly webRoot?: string;
  /** Waveform cache (default: waveforms/ beside the index file). */
  readonly waveformDir?: string;
  readonly loginLimit?: LoginLimitOptions;
  readonly sessionLimits?: SessionLimits;
  /** JSON lines of who played, exported, changed or deleted what (default: player-audit.log beside the accounts file); false = none. */
  readonly auditLogPath?: string | false;
  /** As in the reference: a recording with a TAN (other than 000000) takes no notes. Default true. */
  readonly notesLockedByTan?: boolean;
  /** Every play needs a reason (?reason=…), kept in the audit trail. Default false. */
  readonly reasonOnPlay?: boolean;
  /** Actions that need a second person's approval first (four-eyes): export, erase. Default none. */
  readonly fourEyes?: readonly FourEyesAction[];
  /** The recording service's work folder: supervisors see its status and acknowledge its master alarm. */
  readonly statusDir?: string;
  /** The recording service's audit trail (call outcomes, retention deletions, starts): supervisors read it too. */
  readonly serviceTrailPath?: string;
  /** Completeness for a period (recorder reconcile; times as its --from/--to): supervisors run it from the player. */
  readonly reconcile?: (from: string, to: string) => Promise<ReconcileReport>;
  /** Called with unexpected errors (the client sees a plain 500). */
  readonly onError?: (error: unknown) => void;
}

/** The allow-list of reverse proxies as a BlockList (addresses and CIDR blocks, IPv4 and IPv6); undefined when empty. */
function trustedProxies(entries: readonly string[]): BlockList | undefined {
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address);
    if (family === 0) throw new TypeError(`trustProxy: ${JSON.stringify(entry)} is not an IP address or CIDR block`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

function sameBytes(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A body or parameter the route's schema refuses, as "field: reason" like the handlers' own messages. */
function describeSchemaError(error: FastifySchemaValidationError | undefined, dataVar: string): string {
  if (!error) return `${dataVar}: not valid`;
  const params = error.params as Record<string, unknown>;
  const field = error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : typeof params.missingProperty === 'string' ? params.missingProperty : dataVar;
  switch (error.keyword) {
    case 'type':
      return `${field}: expected ${params.type === 'object' ? 'a JSON object' : params.type === 'boolean' ? 'true or false' : `a ${String(params.type)}`}`;
    case 'maxLength':
      return `${field}: longer than ${String(params.limit)} characters`;
    case 'minLength':
      return `${field}: empty`;
    case 'required':
      return `${field}: missing`;
    case 'enum':
      return `${field}: expected ${(params.allowedValues as unknown[]).join(' or ')}`;
    default:
      return `${field}: ${error.message ?? 'not valid'}`;
  }
}

const isApi = (url: string): boolean => url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');

export class PlayerServer {
  readonly recordings: Recordings;
  readonly accounts: AccountStore;
  readonly #options: PlayerServerOptions;
  readonly #hub = new EventHub();
  readonly #proxies: BlockList | undefined;
  readonly #ctx: PlayerContext;
  readonly #app: FastifyInstance;
  #listening = false;
  readonly #onChange = (change: RecordingChange): void => this.#tell(change);

  constructor(options: PlayerServerOptions) {
    this.#options = options;
    this.recordings = options.recordings;
    this.accounts = new AccountStore(options.accountsPath, options.sessionLimits);
    this.#proxies = trustedProxies(options.trustProxy ?? []);
    const onError = options.onError ?? (() => undefined);
    const keyring = options.keyring ?? options.recordings.keyring;
    const audit = new AuditLog(options.auditLogPath === false ? undefined : (options.auditLogPath ?? join(dirname(options.accountsPath), 'player-audit.log')), onError, keyring);
    this.#ctx = {
      recordings: this.recordings,
      accounts: this.accounts,
      keyring,
      hub: this.#hub,
      limiter: new LoginLimiter(options.loginLimit),
      waveforms: new WaveformCache(options.waveformDir ?? join(dirname(options.recordings.indexPath), 'waveforms')),
      pcapPlayback: new PcapPlaybackCache(join(dirname(options.recordings.indexPath), 'playback'), keyring && keyring.size > 0 ? { keyFiles: [], keyring } : undefined, undefined, (stored) =>
        options.recordings.localCopy(stored),
      ),
      integrity: new IntegrityGuard(this.recordings, audit),
      audit,
      notesLockedByTan: options.notesLockedByTan !== false,
      reasonOnPlay: options.reasonOnPlay === true,
      fourEyes: new Set(options.fourEyes ?? []),
      approvals: new Approvals(options.accountsPath),
      statusDir: options.statusDir,
      serviceTrailPath: options.serviceTrailPath,
      reconcile: options.reconcile,
      onError,
      secure: (request) => this.#options.tls !== undefined || this.#options.secureCookies === true || request.protocol === 'https',
    };
    this.#app = this.#build(options.webRoot ?? defaultWebRoot());
  }

  #build(webRoot: string): FastifyInstance {
    const proxies = this.#proxies;
    const app = Fastify({
      ...(this.#options.tls ? { https: { key: this.#options.tls.key, cert: this.#options.tls.cert } } : {}),
      // The nearest X-Forwarded-For entry that is not itself a trusted proxy is the client; nobody else's headers count.
      trustProxy: proxies ? (address: string) => this.#trusted(address) : false,
      bodyLimit: MAX_BODY_BYTES,
      requestTimeout: 60_000,
      forceCloseConnections: true,
      exposeHeadRoutes: false,
      return503OnClosing: true,
      // A number is not a string and a string is not a number: bodies are taken as sent.
      ajv: { customOptions: { coerceTypes: false, removeAdditional: true } },
      schemaErrorFormatter: (errors, dataVar) => new Error(describeSchemaError(errors[0], dataVar)),
    });
    app.server.headersTimeout = 20_000;
    app.removeContentTypeParser('text/plain');
    app.decorateRequest('session', null);
    void app.register(fastifyCookie);
    app.addHook('onRequest', async (request, reply) => {
      // On the raw response: they reach hijacked streams (audio, events) as well as the framework's own replies.
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(name, value);
      if (this.#ctx.secure(request)) reply.raw.setHeader('Strict-Transport-Security', 'max-age=31536000');
    });
    // Before the body is validated: a stranger learns nothing about a body, only that they are not logged in.
    app.addHook('preValidation', async (request) => {
      if (!isApi(request.url)) return;
      // The login is the one API route without a session; it must still come from our own pages.
      if (request.routeOptions.url === '/api/login') this.#checkOrigin(request);
      else this.#authenticate(request);
    });
    app.addHook('onSend', async (request, reply, payload) => {
      if (isApi(request.url) && !reply.hasHeader('cache-control')) reply.header('Cache-Control', 'no-store');
      return payload;
    });
    app.setErrorHandler((error: FastifyError, request, reply) => this.#fail(error, request, reply));
    app.setNotFoundHandler((request, reply) => {
      if (!isApi(request.url)) return this.#send(reply, 404, 'not found');
      // An unknown endpoint is no business of a stranger: 401 first, as for every API path.
      this.#authenticate(request);
      return this.#send(reply, 404, 'no such endpoint');
    });
    void app.register((api, _options, done) => {
      sessionRoutes(api, this.#ctx);
      statusRoutes(api, this.#ctx);
      auditRoutes(api, this.#ctx);
      holdRoutes(api, this.#ctx);
      approvalRoutes(api, this.#ctx);
      searchRoutes(api, this.#ctx);
      recordingRoutes(api, this.#ctx);
      audioRoutes(api, this.#ctx);
      eventRoutes(api, this.#ctx);
      done();
    });
    void app.register(fastifyStatic, {
      root: webRoot,
      index: 'index.html',
      dotfiles: 'ignore',
      cacheControl: false,
      lastModified: false,
      setHeaders: (reply, path) => {
        reply.header('Cache-Control', 'no-cache');
        if (path.endsWith('.js')) reply.header('Content-Type', 'text/javascript; charset=utf-8');
      },
    });
    return app;
  }

  /** Start listening; resolves with the player's URL. */
  async listen(): Promise<{ url: string }> {
    if (this.#listening) throw new Error('the player server is already listening');
    this.#listening = true;
    const host = this.#options.host ?? '127.0.0.1';
    await this.#app.listen({ port: this.#options.port ?? 8080, host });
    // Live clients exist only once it listens: from then on the recordings' changes are theirs.
    this.recordings.on('change', this.#onChange);
    const { port } = this.#app.server.address() as AddressInfo;
    const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
    return { url: `${this.#options.tls ? 'https' : 'http'}://${shownHost}:${port}/` };
  }

  async close(): Promise<void> {
    this.recordings.off('change', this.#onChange);
    this.#hub.stop();
    await this.#app.close();
    await this.#ctx.audit.close();
    this.#ctx.approvals.close();
    this.accounts.close();
  }

  /** Clients with a live event stream. */
  get liveClients(): number {
    return this.#hub.size;
  }

  /**
   * A recording was filed: push a "recording" event to every client allowed to see it (indexing it first when
   * the index does not know it yet). Resolves with the number of clients told.
   */
  async announce(recordingName: string): Promise<number> {
    const name = parseRecordingName(recordingName).baseName;
    if (!(await this.recordings.ensureIndexed(name))) return 0;
    return this.#hub.broadcast('recording', (client) => {
      const row = this.recordings.row(name, client.account.name);
      return row && canSee(client.account, row) ? recordingJson(row) : undefined;
    });
  }

  /**
   * A remote-control command from the player link: pushed as a "remote" event to the player instances named
   * `command.player`; a TRAC only to those whose account may hear the track (remote control does not get round
   * permissions).
   */
  remoteControl(command: RemoteCommand): RemoteOutcome {
    if (typeof command.player !== 'string' || command.player.length === 0) throw new RemoteCommandError('player', 'empty player name');
    return this.#route(command, (client) => client.player === command.player);
  }

  /** The URL interface's commands: to the player instances running on this machine (a loopback client), of one name if given. */
  remoteControlLocal(command: Omit<RemoteCommand, 'player'>, player?: string): RemoteOutcome {
    return this.#route({ ...command, player: player ?? '' }, (client) => client.local && (player === undefined || client.player === player));
  }

  #route(command: RemoteCommand, addressed: (client: EventClient) => boolean): RemoteOutcome {
    if (!REMOTE_VERBS.includes(command.verb)) throw new RemoteCommandError('verb', `expected one of ${REMOTE_VERBS.join(', ')}, got ${JSON.stringify(command.verb)}`);
    if (command.verb !== 'TRAC') return { delivered: this.#hub.broadcast('remote', (client) => (addressed(client) ? { verb: command.verb } : undefined)), refused: 0 };
    if (typeof command.track !== 'string') throw new RemoteCommandError('track', 'TRAC needs a track');
    let track: string;
    try {
      track = parseRecordingName(command.track).baseName;
    } catch (error) {
      throw new RemoteCommandError('track', error instanceof Error ? error.message : String(error));
    }
    if (!this.recordings.row(track)) return { delivered: 0, refused: 0, unknownTrack: true };
    let refused = 0;
    const delivered = this.#hub.broadcast('remote', (client) => {
      if (!addressed(client)) return undefined;
      const row = this.recordings.row(track, client.account.name);
      if (row && canSee(client.account, row)) return { verb: command.verb, track, recording: recordingJson(row) };
      refused++;
      return undefined;
    });
    return { delivered, refused };
  }

  /** Player instances connected now, by name (the status of the player link). */
  playerNames(): Map<string, number> {
    return this.#hub.playerNames();
  }

  /** A change from the recordings' feed, told to the live clients allowed to see the recording. */
  #tell(change: RecordingChange): void {
    switch (change.kind) {
      case 'filed':
        void this.announce(change.name).catch((error: unknown) => this.#ctx.onError(error));
        return;
      case 'edited': {
        const { name, previousName } = change;
        this.#hub.broadcast('changed', (client) => {
          const row = this.recordings.row(name, client.account.name);
          return row && canSee(client.account, row) ? { name, ...(previousName ? { previous: previousName } : {}), recording: recordingJson(row) } : undefined;
        });
        return;
      }
      case 'removed': {
        // The row is gone: who may see it follows from its name (the internal number is part of it).
        const internal = parseRecordingName(change.name).internal;
        this.#hub.broadcast('removed', (client) => (canSee(client.account, { internal }) ? { name: change.name } : undefined));
        return;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** Whether an address is one of the trusted proxies. */
  #trusted(address: string): boolean {
    const proxies = this.#proxies;
    if (!proxies || address === '') return false;
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    if (isIP(plain) === 0) return false;
    return proxies.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
  }

  /** The session of an API request (401 without one); state changes need our Origin and the session's CSRF token. */
  #authenticate(request: FastifyRequest): void {
    const token = request.cookies[SESSION_COOKIE];
    const session = token ? this.accounts.session(token) : undefined;
    if (!session) throw new HttpError(401, 'not logged in');
    request.session = session;
    if (request.method === 'GET' || request.method === 'HEAD') return;
    this.#checkOrigin(request);
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !sameBytes(sent, session.csrfToken)) throw new HttpError(403, `missing or wrong ${CSRF_HEADER} header`);
  }

  /** State-changing requests must come from our own pages: same Origin, when the browser sends one. */
  #checkOrigin(request: FastifyRequest): void {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    if (origin !== `${this.#ctx.secure(request) ? 'https' : 'http'}://${request.headers.host ?? ''}`) throw new HttpError(403, 'cross-origin request refused');
  }

  #send(reply: FastifyReply, status: number, message: string, headers: Readonly<Record<string, string>> = {}): FastifyReply {
    return reply.code(status).headers({ 'Cache-Control': 'no-store', ...headers }).send({ error: message, status });
  }

  #fail(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return undefined;
    }
    if (error instanceof HttpError) return this.#send(reply, error.status, error.message, error.headers);
    if (error instanceof AccountError) return this.#send(reply, 400, error.message);
    if (error instanceof StoreError) {
      const status = error.code === 'not-found' ? 404 : error.code === 'conflict' || error.code === 'held' ? 409 : error.code === 'forbidden' ? 403 : ['bad-filter', 'bad-name', 'bad-tan', 'bad-input'].includes(error.code) ? 400 : 500;
      // Store messages can hold paths: clients get the reason without them.
      if (status !== 500) return this.#send(reply, status, status === 404 ? 'no such recording' : error.message.replace(/^.*?: (?=search: )/, ''));
    }
    if (error instanceof CryptoError) {
      const status = error.code === 'unknown-key' ? 409 : error.code === 'unsupported' ? 415 : 422;
      return this.#send(reply, status, `the recording cannot be decrypted: ${error.code}`);
    }
    if ((error as { code?: string }).code === 'unknown-key') return this.#send(reply, 409, 'the recording cannot be decrypted: unknown-key');
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      // The static files: whatever a path is wrong about, it is not there.
      if (!isApi(request.url)) return this.#send(reply, 404, 'not found');
      const code = (error as FastifyError).code;
      if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return this.#send(reply, 413, `body larger than ${MAX_BODY_BYTES} bytes`, { Connection: 'close' });
      if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return this.#send(reply, 415, 'expected Content-Type: application/json');
      if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error instanceof SyntaxError || code === 'FST_ERR_CTP_INVALID_JSON_BODY') return this.#send(reply, 400, 'body: not valid JSON');
      return this.#send(reply, status, error.message);
    }
    this.#ctx.onError(error);
    return this.#send(reply, 500, 'internal error');
  }
}
