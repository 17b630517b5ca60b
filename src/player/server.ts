// The player server: the HTTP API over the recording index and store, the web player's files, and server-sent
// events (new recordings, remote control). node:http (or node:https with a certificate) only.
import { timingSafeEqual } from 'node:crypto';
import { appendFile, stat } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { BlockList, isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CryptoError } from '../platform/crypto/index.js';
import type { Keyring } from '../platform/crypto/index.js';
import { cdrSummary, parseStoredRecord } from '../recorder/pbx/index.js';
import { instantOf } from '../platform/util/index.js';
import { NO_TAN, StoreError, parseRecordingName, sidecarToXml } from '../recordings/index.js';
import type { IndexedRecording, IntegrityState, RecordingChange, RecordingFilter, Recordings, SearchResult, StoredRecording } from '../recordings/index.js';
import { AccountStore } from './accounts.js';
import type { Account, Permission, Session, SessionLimits } from './accounts.js';
import { openByteSource, playable } from './audio-source.js';
import { AccountError, HttpError } from './errors.js';
import { EventHub } from './events.js';
import { applySecurityHeaders, attachment, parseCookies, readJsonBody, sendError, sendJson, serializeCookie, stringField } from './http-util.js';
import { LoginLimiter } from './limiter.js';
import type { LoginLimitOptions } from './limiter.js';
import { decideRange } from './range.js';
import { defaultWebRoot, loadStaticFiles } from './static-files.js';
import type { StaticFile } from './static-files.js';
import { WaveformCache } from './waveform.js';
import { zipStream } from './zip.js';
import type { ZipEntry } from './zip.js';

export const SESSION_COOKIE = 'rp_session';
export const CSRF_HEADER = 'x-csrf-token';
/** Most recordings in one zip export or playlist (the reference's playlist limit). */
export const MAX_EXPORT = 99;
/** Largest page of search results. */
export const MAX_PAGE = 500;
export const MAX_NOTES_CHARS = 32_000;

export type RemoteVerb = 'TRAC' | 'STOP' | 'EJEC' | 'PAUS' | 'PLAY';
export const REMOTE_VERBS: readonly RemoteVerb[] = ['TRAC', 'STOP', 'EJEC', 'PAUS', 'PLAY'];

export interface RemoteCommand {
  readonly verb: RemoteVerb;
  /** The player instance (an account's player name). */
  readonly player: string;
  /** TRAC: the recording to play (its name, with or without extension). */
  readonly track?: string;
}

export class RemoteCommandError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`remote control: ${field}: ${reason}`);
    this.name = 'RemoteCommandError';
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
  readonly ffmpegPath?: string;
  readonly loginLimit?: LoginLimitOptions;
  readonly sessionLimits?: SessionLimits;
  /** JSON lines of who played, exported, changed or deleted what (default: player-audit.log beside the accounts file); false = none. */
  readonly auditLogPath?: string | false;
  /** As in the reference: a recording with a TAN (other than 000000) takes no notes. Default true. */
  readonly notesLockedByTan?: boolean;
  /** Called with unexpected errors (the client sees a plain 500). */
  readonly onError?: (error: unknown) => void;
}

const SEARCH_PARAMS = new Set(['month', 'day', 'internal', 'external', 'direction', 'tan', 'format', 'from', 'to', 'order', 'limit', 'offset', 'favourite', 'integrity', 'callId']);
const DATE_PARAM = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** A recording as the API returns it. */
export type RecordingJson = Omit<IndexedRecording, 'start'> & { readonly start: string };

function recordingJson(row: IndexedRecording): RecordingJson {
  return { ...row, start: row.start.toISOString() };
}

/** Whether a number matches a player wildcard pattern ('*' any run, '?' one character, '\*' '\?' literal). */
export function matchesWildcard(pattern: string, value: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '?')) source += `\\${pattern[++i]}`;
    else if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's').test(value);
}

export function canSee(account: Account, row: { readonly internal: string }): boolean {
  return account.role === 'supervisor' || account.numbers.includes(row.internal);
}

function may(account: Account, permission: Permission): boolean {
  return account.permissions.includes(permission);
}

function sessionJson(session: Session): Record<string, unknown> {
  const { account } = session;
  return { user: account.name, role: account.role, numbers: account.numbers, permissions: account.permissions, player: account.player, csrfToken: session.csrfToken };
}

function sameBytes(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
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

/** Verdicts remembered (oldest forgotten first): a verification costs one read of the audio. */
const MAX_VERIFIED_CACHE = 10_000;
/** Recordings whose parsed call records are kept for the details view. */
const MAX_PARSED_RECORDS = 1000;

interface Request {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly secure: boolean;
  readonly address: string;
}

export class PlayerServer {
  readonly recordings: Recordings;
  readonly accounts: AccountStore;
  readonly #options: PlayerServerOptions;
  readonly #keyring: Keyring | undefined;
  readonly #hub = new EventHub();
  readonly #limiter: LoginLimiter;
  readonly #waveforms: WaveformCache;
  readonly #files: Map<string, StaticFile>;
  readonly #auditPath: string | undefined;
  /** Last verification verdict per recording, with the size and time of its files then. */
  readonly #verified = new Map<string, { stamp: string; integrity: IntegrityState }>();
  /** Call records of recently viewed recordings, parsed, with the size and time of the sidecar they came from. */
  readonly #parsedRecords = new Map<string, { stamp: string; records: unknown[] }>();
  readonly #proxies: BlockList | undefined;
  #server: Server | undefined;
  readonly #onChange = (change: RecordingChange): void => this.#tell(change);

  constructor(options: PlayerServerOptions) {
    this.#options = options;
    this.recordings = options.recordings;
    this.#keyring = options.keyring ?? options.recordings.keyring;
    this.accounts = new AccountStore(options.accountsPath, options.sessionLimits);
    this.#limiter = new LoginLimiter(options.loginLimit);
    this.#waveforms = new WaveformCache(options.waveformDir ?? join(dirname(options.recordings.indexPath), 'waveforms'), options.ffmpegPath);
    this.#files = loadStaticFiles(options.webRoot ?? defaultWebRoot());
    this.#auditPath = options.auditLogPath === false ? undefined : (options.auditLogPath ?? join(dirname(options.accountsPath), 'player-audit.log'));
    this.#proxies = trustedProxies(options.trustProxy ?? []);
    this.recordings.on('change', this.#onChange);
  }

  /** Start listening; resolves with the player's URL. */
  async listen(): Promise<{ url: string }> {
    if (this.#server) throw new Error('the player server is already listening');
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.#handle(req, res);
    const server = this.#options.tls ? createHttpsServer({ key: this.#options.tls.key, cert: this.#options.tls.cert }, handler) : createHttpServer(handler);
    server.headersTimeout = 20_000;
    server.requestTimeout = 60_000;
    this.#server = server;
    const host = this.#options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port ?? 8080, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
    return { url: `${this.#options.tls ? 'https' : 'http'}://${shownHost}:${port}/` };
  }

  async close(): Promise<void> {
    this.recordings.off('change', this.#onChange);
    this.#hub.stop();
    const server = this.#server;
    this.#server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    }
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

  /** A change from the recordings' feed, told to the live clients allowed to see the recording. */
  #tell(change: RecordingChange): void {
    switch (change.kind) {
      case 'filed':
        void this.announce(change.name).catch((error: unknown) => this.#options.onError?.(error));
        return;
      case 'edited':
        this.#changed(change.name, change.previousName);
        return;
      case 'removed': {
        // The row is gone: who may see it follows from its name (the internal number is part of it).
        const internal = parseRecordingName(change.name).internal;
        this.#hub.broadcast('removed', (client) => (canSee(client.account, { internal }) ? { name: change.name } : undefined));
        return;
      }
    }
  }

  /**
   * A remote-control command from the player link: pushed as a "remote" event to the player instances named
   * `player` (TRAC only to those allowed to see the track). Returns how many received it.
   */
  remoteControl(command: RemoteCommand): number {
    if (!REMOTE_VERBS.includes(command.verb)) throw new RemoteCommandError('verb', `expected one of ${REMOTE_VERBS.join(', ')}, got ${JSON.stringify(command.verb)}`);
    if (typeof command.player !== 'string' || command.player.length === 0) throw new RemoteCommandError('player', 'empty player name');
    let track: string | undefined;
    if (command.verb === 'TRAC') {
      if (typeof command.track !== 'string') throw new RemoteCommandError('track', 'TRAC needs a track');
      try {
        track = parseRecordingName(command.track).baseName;
      } catch (error) {
        throw new RemoteCommandError('track', error instanceof Error ? error.message : String(error));
      }
    }
    return this.#hub.broadcast('remote', (client) => {
      if (client.account.player !== command.player) return undefined;
      if (track === undefined) return { verb: command.verb };
      const row = this.recordings.row(track, client.account.name);
      return row && canSee(client.account, row) ? { verb: command.verb, track, recording: recordingJson(row) } : undefined;
    });
  }

  // ---------------------------------------------------------------------------------------------------------------

  #secure(req: IncomingMessage, viaProxy: boolean): boolean {
    if (this.#options.tls || this.#options.secureCookies) return true;
    if ((req.socket as { encrypted?: boolean }).encrypted) return true;
    return viaProxy && String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim() === 'https';
  }

  /** Whether an address is one of the trusted proxies. */
  #trusted(address: string): boolean {
    const proxies = this.#proxies;
    if (!proxies || address === '') return false;
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    return proxies.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
  }

  /**
   * The client's address: the peer's, or, when the peer is a trusted proxy, the nearest X-Forwarded-For entry
   * that is not itself a trusted proxy (entries further left are the client's own claims and worth nothing).
   */
  #clientAddress(req: IncomingMessage): { address: string; viaProxy: boolean } {
    const peer = req.socket.remoteAddress ?? '';
    if (!this.#trusted(peer)) return { address: peer, viaProxy: false };
    const forwarded = String(req.headers['x-forwarded-for'] ?? '').split(',').map((part) => part.trim()).filter((part) => part !== '');
    let address = peer;
    for (let i = forwarded.length - 1; i >= 0; i--) {
      address = forwarded[i]!;
      if (isIP(address) === 0 || !this.#trusted(address)) break;
    }
    return { address: isIP(address) === 0 ? peer : address, viaProxy: true };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const client = this.#clientAddress(req);
    const secure = this.#secure(req, client.viaProxy);
    applySecurityHeaders(res, secure);
    try {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://player.invalid');
      } catch {
        throw new HttpError(400, 'malformed request target');
      }
      const request: Request = { req, res, url, secure, address: client.address };
      if (url.pathname === '/api' || url.pathname.startsWith('/api/')) await this.#api(request);
      else this.#static(request);
    } catch (error) {
      this.#fail(res, error);
    }
  }

  #fail(res: ServerResponse, error: unknown): void {
    if (error instanceof HttpError) return sendError(res, error.status, error.message, { ...error.headers });
    if (error instanceof AccountError) return sendError(res, 400, error.message);
    if (error instanceof StoreError) {
      const status = error.code === 'not-found' ? 404 : error.code === 'conflict' ? 409 : ['bad-filter', 'bad-name', 'bad-tan', 'bad-input'].includes(error.code) ? 400 : 500;
      // Store messages can hold paths: clients get the reason without them.
      if (status !== 500) return sendError(res, status, status === 404 ? 'no such recording' : error.message.replace(/^.*?: (?=search: )/, ''));
    }
    if (error instanceof CryptoError) {
      const status = error.code === 'unknown-key' ? 409 : error.code === 'unsupported' ? 415 : 422;
      return sendError(res, status, `the recording cannot be decrypted: ${error.code}`);
    }
    if ((error as { code?: string }).code === 'unknown-key') return sendError(res, 409, 'the recording cannot be decrypted: unknown-key');
    this.#options.onError?.(error);
    sendError(res, 500, 'internal error');
  }

  #static({ req, res, url }: Request): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method not allowed', { Allow: 'GET, HEAD' });
    const file = this.#files.get(url.pathname);
    if (!file) throw new HttpError(404, 'not found');
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, { ETag: file.etag, 'Cache-Control': 'no-cache' });
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.body.length, ETag: file.etag, 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  #audit(user: string, action: string, detail: Record<string, unknown> = {}): void {
    if (!this.#auditPath) return;
    appendFile(this.#auditPath, `${JSON.stringify({ at: new Date().toISOString(), user, action, ...detail })}\n`).catch((error: unknown) => this.#options.onError?.(error));
  }

  #session(req: IncomingMessage): Session {
    const token = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    const session = token ? this.accounts.session(token) : undefined;
    if (!session) throw new HttpError(401, 'not logged in');
    return session;
  }

  /** State-changing requests must come from our own pages: same Origin (when sent) and the session's CSRF token. */
  #checkOrigin({ req, secure }: Request): void {
    const origin = req.headers.origin;
    if (origin === undefined) return;
    if (origin !== `${secure ? 'https' : 'http'}://${req.headers.host ?? ''}`) throw new HttpError(403, 'cross-origin request refused');
  }

  #checkCsrf(request: Request, session: Session): void {
    this.#checkOrigin(request);
    const sent = request.req.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !sameBytes(sent, session.csrfToken)) throw new HttpError(403, `missing or wrong ${CSRF_HEADER} header`);
  }

  async #api(request: Request): Promise<void> {
    const { req, url } = request;
    const method = req.method ?? 'GET';
    const segments = url.pathname.split('/').slice(2);
    const route = segments[0] ?? '';
    const allow = (...methods: string[]): void => {
      if (!methods.includes(method)) throw new HttpError(405, 'method not allowed', { Allow: methods.join(', ') });
    };

    if (route === 'login' && segments.length === 1) {
      allow('POST');
      return this.#login(request);
    }
    const session = this.#session(req);
    if (method !== 'GET' && method !== 'HEAD') this.#checkCsrf(request, session);
    const account = session.account;

    switch (segments.length === 1 ? route : `${route}/*${segments.length > 2 ? `/${segments.slice(2).join('/')}` : ''}`) {
      case 'session':
        allow('GET');
        return sendJson(request.res, 200, sessionJson(session));
      case 'logout':
        allow('POST');
        return this.#logout(request);
      case 'months':
        allow('GET');
        return this.#months(request, account);
      case 'recordings':
        allow('GET');
        return this.#search(request, account);
      case 'last-played':
        allow('GET');
        return this.#lastPlayed(request, account);
      case 'export':
        allow('GET');
        return this.#exportZip(request, account);
      case 'events':
        allow('GET');
        this.#hub.add(account, request.res);
        return;
    }
    if (route !== 'recordings' || segments.length < 2 || segments.length > 3) throw new HttpError(404, 'no such endpoint');
    const row = this.#visibleRecording(segments[1]!, account);
    const action = segments[2];
    switch (action) {
      case undefined:
        allow('GET', 'DELETE');
        return method === 'DELETE' ? this.#delete(request, account, row) : this.#details(request, account, row);
      case 'audio':
        allow('GET', 'HEAD');
        return this.#audio(request, account, row, await this.#servable(request, account, row, 'play'), false);
      case 'export':
        allow('GET');
        if (!may(account, 'export')) throw new HttpError(403, 'this account may not export');
        return this.#audio(request, account, row, await this.#servable(request, account, row, 'export'), true);
      case 'waveform':
        allow('GET');
        return this.#waveform(request, row, await this.#servable(request, account, row, 'waveform'));
      case 'notes':
        allow('GET', 'PUT');
        return method === 'PUT' ? this.#writeNotes(request, account, row) : sendJson(request.res, 200, { text: await this.recordings.readNotes(row.name) });
      case 'tan':
        allow('PUT');
        return this.#updateTan(request, account, row);
      case 'favourite':
        allow('PUT');
        return this.#favourite(request, account, row);
      case 'verify':
        allow('POST');
        return this.#verify(request, account, row);
      default:
        throw new HttpError(404, 'no such endpoint');
    }
  }

  /** A path segment naming a recording: a valid recording base name the index knows and the account may see. */
  #visibleRecording(segment: string, account: Account): IndexedRecording {
    let name: string;
    try {
      name = decodeURIComponent(segment);
    } catch {
      throw new HttpError(400, 'recording name: bad percent-encoding');
    }
    if (name.length === 0 || name.length > 300) throw new HttpError(400, 'recording name: empty or too long');
    let valid = false;
    try {
      const parsed = parseRecordingName(name);
      valid = parsed.extension === undefined && parsed.baseName === name;
    } catch {
      valid = false;
    }
    if (!valid) throw new HttpError(400, 'not a recording name');
    const row = this.recordings.row(name, account.name);
    // Another agent's call is as absent as a call that does not exist.
    if (!row || !canSee(account, row)) throw new HttpError(404, 'no such recording');
    return row;
  }

  async #stored(row: IndexedRecording): Promise<StoredRecording> {
    return this.recordings.files(row.name);
  }

  /**
   * The recording's integrity as its files are now: verified again whenever the audio or sidecar changed since the
   * last check (size or modification time), so a file swapped after filing is caught at the next play.
   */
  async #currentIntegrity(stored: StoredRecording): Promise<IntegrityState> {
    const stamp = (await Promise.all([stored.audioPath, stored.xmlPath].map(async (path) => (path ? await stat(path).then((s) => `${s.size}:${s.mtimeMs}`, () => '-') : '-')))).join('|');
    const cached = this.#verified.get(stored.name);
    if (cached?.stamp === stamp) return cached.integrity;
    const integrity = await this.recordings.verify(stored);
    if (this.#verified.size >= MAX_VERIFIED_CACHE) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(stored.name, { stamp, integrity });
    return integrity;
  }

  /**
   * Refuse the audio of a recording that failed verification: it is not evidence of the call it claims to be. An
   * account with the `investigate` permission may still ask for it with `?investigate=1`; that is written to the audit log.
   * Returns the stored recording, for the handler that serves it.
   */
  async #servable(request: Request, account: Account, row: IndexedRecording, use: 'play' | 'export' | 'waveform'): Promise<StoredRecording> {
    const stored = await this.#stored(row);
    const integrity = await this.#currentIntegrity(stored);
    // A verdict that newly says (or no longer says) tampered is kept and announced; the others are cached here only.
    if (integrity !== row.integrity && (integrity === 'tampered' || row.integrity === 'tampered')) await this.recordings.setIntegrity(row.name, integrity);
    if (integrity !== 'tampered') return stored;
    const investigator = may(account, 'investigate');
    if (investigator && request.url.searchParams.get('investigate') === '1') {
      if (request.req.method !== 'HEAD') this.#audit(account.name, 'investigate', { recording: row.name, use, integrity });
      return stored;
    }
    this.#audit(account.name, 'refused-tampered', { recording: row.name, use });
    throw new HttpError(409, `${row.name} failed verification (tampered): not served${investigator ? '; add investigate=1 to inspect it anyway (logged)' : ''}`);
  }

  // --------------------------------------------------------------------------------------------- session

  async #login(request: Request): Promise<void> {
    const { req, res, address, secure } = request;
    this.#checkOrigin(request);
    const body = await readJsonBody(req);
    const user = stringField(body, 'user', 64);
    const password = stringField(body, 'password', 1024);
    // Counted before the password is checked: parallel guesses cannot all pass the limit while the checks run.
    const began = Date.now();
    const wait = this.#limiter.begin(address, user, began);
    if (wait > 0) throw new HttpError(429, 'too many failed logins: try again later', { 'Retry-After': String(wait) });
    const account = await this.accounts.authenticate(user, password);
    if (!account) {
      this.#audit(user, 'login-failed', { address });
      throw new HttpError(401, 'wrong user name or password');
    }
    this.#limiter.succeed(user, address, began);
    const { token, csrfToken } = this.accounts.createSession(account.name);
    this.#audit(account.name, 'login', { address });
    sendJson(res, 200, sessionJson({ account, csrfToken }), { 'Set-Cookie': serializeCookie(SESSION_COOKIE, token, { secure }) });
  }

  #logout({ req, res, secure }: Request): void {
    const token = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (token) this.accounts.endSession(token);
    res.setHeader('Set-Cookie', serializeCookie(SESSION_COOKIE, '', { secure, maxAgeSeconds: 0 }));
    res.writeHead(204, { 'Cache-Control': 'no-store' });
    res.end();
  }

  // --------------------------------------------------------------------------------------------- search

  #months({ res }: Request, account: Account): void {
    const months = this.recordings.months().map(({ month, count }) => ({
      month,
      ...(account.role === 'supervisor' ? { count } : {}),
      formats: this.recordings.formats(month),
    }));
    sendJson(res, 200, { months });
  }

  #filter(url: URL, account: Account): RecordingFilter {
    const filter: Record<string, unknown> = { owner: account.name, limit: 50 };
    const seen = new Set<string>();
    for (const [key, value] of url.searchParams) {
      if (!SEARCH_PARAMS.has(key)) throw new HttpError(400, `unknown search parameter ${JSON.stringify(key.slice(0, 40))}`);
      if (seen.has(key)) throw new HttpError(400, `${key}: given more than once`);
      seen.add(key);
      if (value === '') continue;
      if (value.length > 128) throw new HttpError(400, `${key}: longer than 128 characters`);
      switch (key) {
        case 'day':
        case 'limit':
        case 'offset':
          if (!/^\d{1,7}$/.test(value)) throw new HttpError(400, `${key}: expected a whole number, got ${JSON.stringify(value)}`);
          filter[key] = Number(value);
          break;
        case 'from':
        case 'to': {
          const date = new Date(value);
          if (!DATE_PARAM.test(value) || Number.isNaN(date.getTime())) throw new HttpError(400, `${key}: expected an ISO 8601 date or time, got ${JSON.stringify(value)}`);
          filter[key] = date;
          break;
        }
        default:
          filter[key] = value;
      }
    }
    if ((filter.limit as number) > MAX_PAGE) throw new HttpError(400, `limit: at most ${MAX_PAGE}`);
    this.#dayAsTimeRange(filter);
    return filter as RecordingFilter;
  }

  /**
   * Month + day also as a start-time range (that day's midnights in the store's zone): the same recordings, but
   * the index's (month, start) index then reads one day instead of testing every row of the month.
   */
  #dayAsTimeRange(filter: Record<string, unknown>): void {
    const month = filter.month;
    const day = filter.day;
    if (typeof month !== 'string' || typeof day !== 'number' || !/^\d{4}_(0[1-9]|1[0-2])$/.test(month)) return;
    const year = Number(month.slice(0, 4));
    const m = Number(month.slice(5));
    if (day < 1 || day > new Date(Date.UTC(year, m, 0)).getUTCDate()) return; // the index reports the bad day
    const zone = this.recordings.timeZone;
    const from = instantOf({ year, month: m, day, hour: 0, minute: 0 }, zone);
    const next = new Date(Date.UTC(year, m - 1, day + 1));
    const to = instantOf({ year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate(), hour: 0, minute: 0 }, zone);
    if (!(filter.from instanceof Date) || filter.from < from) filter.from = from;
    if (!(filter.to instanceof Date) || filter.to > to) filter.to = to;
  }

  /** The index's search, limited to the account's own numbers for an agent. */
  scopedSearch(account: Account, filter: RecordingFilter): SearchResult {
    if (account.role === 'supervisor') return this.recordings.search(filter);
    const numbers = account.numbers.filter((n) => filter.internal === undefined || filter.internal === '' || matchesWildcard(filter.internal, n));
    if (numbers.length === 0) {
      this.recordings.search({ ...filter, limit: 1 }); // still validates the other filters: a bad value is a 400 for agents too
      return { total: 0, totalCapped: false, rows: [] };
    }
    if (numbers.length === 1) return this.recordings.search({ ...filter, internal: numbers[0]! });
    // Several numbers: one indexed search each, merged in the requested order.
    const limit = filter.limit ?? 100;
    const offset = filter.offset ?? 0;
    if (offset + limit > 10_000) throw new HttpError(400, 'offset: too deep for an account with several numbers (narrow the search)');
    const results = numbers.map((n) => this.recordings.search({ ...filter, internal: n, offset: 0, limit: offset + limit }));
    const newest = (filter.order ?? 'newest') === 'newest';
    const rows = results
      .flatMap((r) => r.rows)
      .sort((a, b) => {
        const byTime = a.start.getTime() - b.start.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
        return newest ? -byTime : byTime;
      });
    return { total: results.reduce((sum, r) => sum + r.total, 0), totalCapped: results.some((r) => r.totalCapped), rows: rows.slice(offset, offset + limit) };
  }

  #search({ res, url }: Request, account: Account): void {
    const filter = this.#filter(url, account);
    const result = this.scopedSearch(account, filter);
    sendJson(res, 200, { total: result.total, totalCapped: result.totalCapped, offset: filter.offset ?? 0, limit: filter.limit, rows: result.rows.map(recordingJson) });
  }

  #lastPlayed({ res }: Request, account: Account): void {
    const rows: Array<RecordingJson & { playedAt: string }> = [];
    for (const { callId, playedAt } of this.accounts.lastPlayed(account.name)) {
      for (const row of this.recordings.rowsOfCall(callId, account.name)) if (canSee(account, row)) rows.push({ ...recordingJson(row), playedAt: playedAt.toISOString() });
    }
    sendJson(res, 200, { total: rows.length, rows });
  }

  // --------------------------------------------------------------------------------------------- one recording

  async #details({ res }: Request, account: Account, row: IndexedRecording): Promise<void> {
    const stored = await this.#stored(row);
    let sidecar: Record<string, unknown> | undefined;
    let sidecarError: string | undefined;
    const cdrs: unknown[] = [];
    try {
      const read = await this.recordings.readSidecar(stored);
      if (read) {
        const { meta, audio, signature, cdr } = read.sidecar;
        sidecar = { call: meta, audio, signed: signature !== undefined, encrypted: read.encrypted };
        cdrs.push(...(await this.#callRecords(stored, cdr)));
      }
    } catch (error) {
      sidecarError = error instanceof CryptoError ? `the call data cannot be read: ${error.code}` : 'the call data cannot be read';
    }
    const notesLocked = this.#notesLocked(row);
    sendJson(res, 200, {
      recording: recordingJson(row),
      ...(sidecar ? { sidecar } : {}),
      ...(sidecarError ? { sidecarError } : {}),
      cdr: cdrs,
      notes: row.hasNotes ? await this.recordings.readNotes(row.name) : '',
      notesLocked,
      may: {
        tan: may(account, 'tan'),
        notes: may(account, 'notes') && !notesLocked,
        export: may(account, 'export'),
        delete: may(account, 'delete'),
      },
    });
  }

  /**
   * A recording's call records as the details view shows them, parsed once per version of its sidecar (they
   * never change after filing; a supervisor paging through calls opens the same ones again and again).
   */
  async #callRecords(stored: StoredRecording, fragments: readonly string[]): Promise<unknown[]> {
    const stamp = stored.xmlPath ? await stat(stored.xmlPath).then((s) => `${s.size}:${s.mtimeMs}`, () => '-') : '-';
    const cached = this.#parsedRecords.get(stored.name);
    if (cached?.stamp === stamp) return cached.records;
    const records: unknown[] = [];
    fragments.forEach((fragment, i) => {
      try {
        for (const { source: _xml, ...record } of parseStoredRecord(fragment, `cdr ${i + 1}`)) records.push({ ...record, summary: cdrSummary(record) });
      } catch (error) {
        records.push({ error: error instanceof Error ? error.message : String(error), xml: fragment });
      }
    });
    if (this.#parsedRecords.size >= MAX_PARSED_RECORDS) this.#parsedRecords.delete(this.#parsedRecords.keys().next().value!);
    this.#parsedRecords.set(stored.name, { stamp, records });
    return records;
  }

  #notesLocked(row: IndexedRecording): boolean {
    return this.#options.notesLockedByTan !== false && row.tan !== undefined && row.tan !== NO_TAN;
  }

  async #audio({ req, res }: Request, account: Account, row: IndexedRecording, stored: StoredRecording, download: boolean): Promise<void> {
    const source = await openByteSource(stored.audioPath, stored.encrypted, this.#keyring);
    const audio = download
      ? { size: source.size, stream: source.stream.bind(source), close: () => source.close(), contentType: stored.format === 'mp3' ? 'audio/mpeg' : stored.format === 'wav' ? 'audio/wav' : 'application/vnd.tcpdump.pcap' }
      : await playable(source, stored.format).catch(async (error: unknown) => {
          await source.close();
          throw error;
        });
    try {
      const decision = decideRange(typeof req.headers.range === 'string' ? req.headers.range : undefined, audio.size);
      const headers: Record<string, string | number> = { 'Content-Type': audio.contentType, 'Accept-Ranges': 'bytes', 'Cache-Control': 'private, no-cache' };
      if (download) headers['Content-Disposition'] = attachment(`${row.name}.${stored.format}`);
      if (decision.kind === 'unsatisfiable') {
        res.writeHead(416, { ...headers, 'Content-Range': `bytes */${audio.size}`, 'Content-Length': 0 });
        res.end();
        return;
      }
      const [start, end] = decision.kind === 'partial' ? [decision.start, decision.end] : [0, audio.size];
      if (decision.kind === 'partial') headers['Content-Range'] = `bytes ${start}-${end - 1}/${audio.size}`;
      headers['Content-Length'] = end - start;
      res.writeHead(decision.kind === 'partial' ? 206 : 200, headers);
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      if (start === 0) {
        if (download) this.#audit(account.name, 'export', { recording: row.name });
        else {
          this.accounts.recordPlayed(account.name, row.callId);
          this.#audit(account.name, 'play', { recording: row.name });
        }
      }
      await pipeline(Readable.from(audio.stream(start, end)), res).catch((error: unknown) => {
        // The client went away (seeking closes the old request) — normal; anything else (tampered chunk) cuts the response.
        if ((error as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') this.#options.onError?.(error);
        res.destroy();
      });
    } finally {
      await audio.close();
    }
  }

  async #waveform({ res }: Request, row: IndexedRecording, stored: StoredRecording): Promise<void> {
    const waveform = await this.#waveforms.get(row.name, stored.bytes, stored.format, async () => {
      const source = await openByteSource(stored.audioPath, stored.encrypted, this.#keyring);
      return playable(source, stored.format).catch(async (error: unknown) => {
        await source.close();
        throw error;
      });
    });
    sendJson(res, 200, waveform, { 'Cache-Control': 'private, max-age=3600' });
  }

  async #writeNotes({ req, res }: Request, account: Account, row: IndexedRecording): Promise<void> {
    if (!may(account, 'notes')) throw new HttpError(403, 'this account may not write notes');
    if (this.#notesLocked(row)) throw new HttpError(409, 'no notes possible: the recording has a TAN');
    const text = stringField(await readJsonBody(req), 'text', MAX_NOTES_CHARS);
    const stored = await this.recordings.writeNotes(row.name, text);
    this.#audit(account.name, 'notes', { recording: row.name, chars: text.length });
    sendJson(res, 200, { text, hasNotes: stored.notesPath !== undefined });
  }

  async #updateTan({ req, res }: Request, account: Account, row: IndexedRecording): Promise<void> {
    if (!may(account, 'tan')) throw new HttpError(403, 'this account may not edit TANs');
    const tan = stringField(await readJsonBody(req), 'tan', 16);
    // A TAN can be changed, never removed: "000000" is how a recording is marked as having none.
    if (!/^[0-9]{6}$/.test(tan)) throw new HttpError(400, `tan: exactly 6 digits (${NO_TAN} = no TAN); a TAN cannot be removed`);
    const renamed = await this.recordings.updateTan(row.name, tan);
    if (renamed.name !== row.name) this.#audit(account.name, 'tan', { recording: row.name, renamed: renamed.name, tan });
    sendJson(res, 200, { name: renamed.name, recording: recordingJson(this.recordings.row(renamed.name, account.name)!) });
  }

  async #favourite({ req, res }: Request, account: Account, row: IndexedRecording): Promise<void> {
    const body = await readJsonBody(req);
    const scope = body.scope;
    if (scope !== 'global' && scope !== 'mine') throw new HttpError(400, 'scope: expected global or mine');
    if (typeof body.on !== 'boolean') throw new HttpError(400, 'on: expected true or false');
    await this.recordings.setFavourite(row.name, body.on, scope === 'global' ? '' : account.name);
    sendJson(res, 200, { recording: recordingJson(this.recordings.row(row.name, account.name)!) });
  }

  async #verify({ res }: Request, account: Account, row: IndexedRecording): Promise<void> {
    const integrity = await this.recordings.verify(await this.#stored(row));
    await this.recordings.setIntegrity(row.name, integrity);
    this.#audit(account.name, 'verify', { recording: row.name, integrity });
    sendJson(res, 200, { integrity, recording: recordingJson(this.recordings.row(row.name, account.name)!) });
  }

  async #delete({ res }: Request, account: Account, row: IndexedRecording): Promise<void> {
    if (!may(account, 'delete')) throw new HttpError(403, 'this account may not delete recordings');
    await this.recordings.remove(row.name);
    this.#audit(account.name, 'delete', { recording: row.name });
    res.writeHead(204, { 'Cache-Control': 'no-store' });
    res.end();
  }

  /** Tell the clients that see a recording that it changed (notes, TAN → new name). */
  #changed(name: string, previous?: string): void {
    this.#hub.broadcast('changed', (client) => {
      const row = this.recordings.row(name, client.account.name);
      return row && canSee(client.account, row) ? { name, ...(previous ? { previous } : {}), recording: recordingJson(row) } : undefined;
    });
  }

  // --------------------------------------------------------------------------------------------- export

  async #exportZip(request: Request, account: Account): Promise<void> {
    const { res, url } = request;
    if (!may(account, 'export')) throw new HttpError(403, 'this account may not export');
    for (const key of url.searchParams.keys()) if (key !== 'name' && key !== 'investigate') throw new HttpError(400, `unknown export parameter ${JSON.stringify(key.slice(0, 40))}`);
    const names = [...new Set(url.searchParams.getAll('name'))];
    if (names.length === 0) throw new HttpError(400, 'name: give at least one recording');
    if (names.length > MAX_EXPORT) throw new HttpError(400, `name: at most ${MAX_EXPORT} recordings per export`);
    const rows = names.map((name) => this.#visibleRecording(encodeURIComponent(name), account));
    const stored: StoredRecording[] = [];
    for (const row of rows) stored.push(await this.#servable(request, account, row, 'export'));
    const entries: ZipEntry[] = [];
    for (const entry of stored) {
      const modified = entry.start;
      const keyring = this.#keyring;
      entries.push({
        name: `${entry.name}.${entry.format}`,
        method: entry.format === 'mp3' ? 'store' : 'deflate',
        modified,
        data: async function* () {
          const source = await openByteSource(entry.audioPath, entry.encrypted, keyring);
          try {
            yield* source.stream(0, source.size);
          } finally {
            await source.close();
          }
        },
      });
      if (entry.xmlPath) {
        const recordings = this.recordings;
        entries.push({
          name: `${entry.name}.xml`,
          method: 'deflate',
          modified,
          data: async function* () {
            const read = await recordings.readSidecar(entry).catch(() => undefined);
            if (read) yield Buffer.from(sidecarToXml(read.sidecar), 'utf8');
          },
        });
      }
      if (entry.notesPath) {
        const recordings = this.recordings;
        entries.push({ name: `${entry.name}.txt`, method: 'deflate', modified, data: async function* () { yield Buffer.from(await recordings.readNotes(entry.name), 'utf8'); } });
      }
    }
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
    res.writeHead(200, { 'Content-Type': 'application/zip', 'Content-Disposition': attachment(`recordings-${stamp}.zip`), 'Cache-Control': 'no-store' });
    this.#audit(account.name, 'export', { recordings: names });
    await pipeline(Readable.from(zipStream(entries)), res).catch((error: unknown) => {
      if ((error as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') this.#options.onError?.(error);
      res.destroy();
    });
  }
}
