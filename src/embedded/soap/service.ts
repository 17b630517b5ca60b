/**
 * The embedded PBX's SOAP service: innovaphone's `/PBX0/user.soap` as far as
 * a call-monitoring client (the recorder) uses it.
 *
 * Protocol (pbx10_00 shape, rpc/encoded, namespace http://innovaphone.com/pbx):
 * - Initialize(user, appl, v, v501, v700, v800, vx1000) → return = session id, key.
 * - UserInitialize(session, user, xfer, disc, hw) → return = user handle (0 when
 *   the user object is unknown, as the real PBX answers).
 * - Poll(session) → return = AnyInfo { user: UserInfo[], call: CallInfo[] }; a
 *   long poll: answers at once when news is queued, else waits for news up to
 *   `pollTimeoutMs` and then answers with empty arrays.
 * - End(session), UserEnd(user), Echo(session, key) → session or 0,
 *   Version(), FindUser(v501, v700, v800, vx1000, cn, h323, e164, count, next),
 *   Calls(session, user).
 *
 * Visibility ("group monitoring", the reference's "all Agents has to be in the
 * same group that the SOAP user object"): a monitored object that is in the
 * recording group — a directory user with `recordingGroup`, or the monitor
 * object itself (default name "SOAP": the directory has no entry for the
 * recorder's blank user object) — sees every leg of every recording-group
 * member; any other directory user sees only its own legs.
 *
 * CallInfo of a leg (one per monitored user that sees it, `user` = that
 * monitored user's handle, `call` = the leg handle):
 * - `state`: low nibble 1 setup, 4 alert, 5 connect, 6 disconnect sent by the
 *   PBX, 7 disconnect received; 0x80 set when the call goes to the user (the
 *   PBX-centric "outbound": an incoming call of the user); 0x100 while the
 *   user holds the call.
 * - `msg`: the signalling message, named as the real PBX names them: `r-…` a
 *   message the PBX received from the user's device, `x-…` one it sent there —
 *   r-setup / x-setup, x-alert / r-alert, x-conn / r-conn, x-rel. Events the
 *   reference names no message for carry the event type: hold, retrieve,
 *   transfer, pickup, forward, dtmf.
 * - End of a leg: after its release the PBX reports the call object's
 *   deletion, `msg` "del" with `active` false; it is the leg's last CallInfo.
 *   A call whose leg had no release event gets its "del" at the call's end.
 * - `No`: type "this" (the leg's user: cn = dn = display name, e164 = number,
 *   h323 = object name) and type "peer" (the far party; cn/dn/h323 empty for
 *   external numbers).
 * - `info` items: type "conf" vals = the conference id (32 hex digits; the key
 *   that ties captures, SOAP and CDRs together), type "time" vals = ISO-8601
 *   time of the event on the PBX clock (clock skew applied) and vali = its
 *   Unix seconds, type "event" vals = the event type, and type "detail"
 *   vals = forward type / transfer target / DTMF digits / release cause when
 *   the event has one.
 *
 * Faults, checked on every request: `soapDown` → HTTP 503 (hanging polls are
 * released with 503 too); the instance whose role is not `faults.activePbx`
 * answers every SOAP request with HTTP 503 and a SOAP fault whose faultstring
 * starts with "standby:", drops its sessions, and serves again as soon as
 * `activePbx` names it; sessions not polled for `sessionTtlMs` (real time)
 * expire and any request on them gets a fault whose faultstring starts with
 * "session:". Malformed requests get a Client fault starting with "request:".
 *
 * Authentication: HTTP Basic when username/password are set (the real PBX
 * offers Basic or Digest; Basic is the one every SOAP client supports), on
 * every path including the WSDL.
 */

import { randomInt } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { closeHttp, listenHttp } from '../../platform/util/index.js';
import { createServerless } from 'soap';
import type { IServices, Server as SoapServer } from 'soap';
import type { CallEvent, CallObserver, FaultState, PbxDirectory, PbxUser, PlannedCall, SimClock } from '../model.js';
import { WSDL_VERSION, pbx10Wsdl, pbxWsdlTemplate, soapEncodingXsd, withoutSchemaImport } from '../../recorder/pbx/index.js';

export const SOAP_PATH = '/PBX0/user.soap';
const XSD_PATH = '/PBX0/soap-encoding.xsd';
/** Where the WSDL is published, as a real PBX publishes pbx10_00.wsdl. */
export const WSDL_PATH = '/pbx10_00.wsdl';
const MAX_BODY_BYTES = 1024 * 1024;
/** How often hanging polls look at the fault switches (real ms). */
const FAULT_WATCH_MS = 100;

export interface PbxSoapServiceOptions {
  readonly directory: PbxDirectory;
  readonly faults: FaultState;
  readonly clock: SimClock;
  readonly role: 'primary' | 'standby';
  readonly username?: string;
  readonly password?: string;
  /** Longest a Poll waits for news (real ms, default 30000). */
  readonly pollTimeoutMs?: number;
  /** A session not polled for this long is forgotten (real ms, default 60000). */
  readonly sessionTtlMs?: number;
  /** Name of the recorder's monitor object, in the recording group though not in the directory (default "SOAP"). */
  readonly monitorObject?: string;
  /** Dynamic PBX ids also answered at `/PBX-<id>/user.soap` (hosting: one platform, many PBXs). */
  readonly dynamicPbxIds?: readonly string[];
}

/** One `Info` item (type, integer and string value). */
export interface SoapInfo {
  readonly type: string;
  readonly vali: number;
  readonly vals: string;
}

/** One party number of a CallInfo. */
export interface SoapNo {
  readonly type: 'this' | 'peer';
  readonly cn: string;
  readonly dn: string;
  readonly e164: string;
  readonly h323: string;
}

/** A CallInfo record as Poll and Calls return it (arrays wrapped in `item`, as SOAP-ENC arrays are). */
export interface SoapCallInfo {
  readonly user: number;
  readonly call: number;
  readonly reg: number;
  readonly active: boolean;
  readonly state: number;
  readonly No: { readonly item: readonly SoapNo[] };
  readonly msg: string;
  readonly info: { readonly item: readonly SoapInfo[] };
}

export interface SoapUserInfo {
  readonly guid: string;
  readonly active: boolean;
  readonly state: number;
  readonly channel: number;
  readonly alert: number;
  readonly cn: string;
  readonly dn: string;
  readonly type: string;
  readonly e164: string;
  readonly h323: string;
  readonly groups: { readonly item: readonly { readonly group: string; readonly active: boolean }[] };
}

/** CallInfo `state` bits. */
export const CALL_STATE = {
  setup: 1,
  alert: 4,
  connect: 5,
  disconnectSent: 6,
  disconnectReceived: 7,
  /** The call goes to the user (PBX-centric outbound). */
  toUser: 0x80,
  /** The user holds the call. */
  held: 0x100,
} as const;

/** The group the recording-group members and the monitor object share, as UserInfo reports it. */
export const RECORDING_GROUP_NAME = 'recording';

interface MonitoredUser {
  readonly handle: number;
  readonly name: string;
  /** group: sees all recording-group members' legs; self: only its own. */
  readonly scope: 'group' | 'self';
}

interface Waiter {
  readonly resolve: (news: PollNews) => void;
  readonly reject: (fault: SoapFaultError) => void;
  readonly timer: NodeJS.Timeout;
}

interface PollNews {
  readonly users: SoapUserInfo[];
  readonly calls: SoapCallInfo[];
}

interface Session {
  readonly id: number;
  readonly key: number;
  readonly user: string;
  readonly appl: string;
  lastSeen: number;
  readonly users: Map<number, MonitoredUser>;
  news: PollNews;
  waiter: Waiter | undefined;
}

interface LegState {
  readonly user: string;
  readonly confId: string;
  readonly outgoing: boolean;
  /** The far party now: a transfer changes it. */
  peer: CallEvent['peer'];
  state: number;
  msg: string;
  released: boolean;
}

/** A SOAP 1.1 fault in the shape node-soap serialises (thrown as `{ Fault }`). */
class SoapFaultError extends Error {
  readonly Fault: { faultcode: string; faultstring: string; statusCode: number };
  constructor(code: 'Client' | 'Server', text: string, statusCode = 500) {
    super(text);
    this.Fault = { faultcode: `soap:${code}`, faultstring: text, statusCode };
  }
}

/** The embedded PBX's SOAP service; see the file comment for the protocol. */
export class PbxSoapService implements CallObserver {
  private readonly directory: PbxDirectory;
  private readonly faults: FaultState;
  private readonly clock: SimClock;
  private readonly role: 'primary' | 'standby';
  private readonly username: string | undefined;
  private readonly password: string | undefined;
  private readonly pollTimeoutMs: number;
  private readonly sessionTtlMs: number;
  private readonly monitorObject: string;
  private readonly dynamicPbxIds: ReadonlySet<string>;
  private readonly sessions = new Map<number, Session>();
  private readonly legs = new Map<number, LegState>();
  private readonly usersByName: Map<string, PbxUser>;
  private nextSessionId = 1;
  private nextUserHandle = 1;
  private http: HttpServer | undefined;
  private soap: SoapServer | undefined;
  private baseUrl = '';
  private faultWatch: NodeJS.Timeout | undefined;
  private sweep: NodeJS.Timeout | undefined;

  constructor(options: PbxSoapServiceOptions) {
    this.directory = options.directory;
    this.faults = options.faults;
    this.clock = options.clock;
    this.role = options.role;
    if ((options.username === undefined) !== (options.password === undefined)) {
      throw new Error('PbxSoapService: username and password must be given together');
    }
    this.username = options.username;
    this.password = options.password;
    this.pollTimeoutMs = positive('pollTimeoutMs', options.pollTimeoutMs ?? 30_000);
    this.sessionTtlMs = positive('sessionTtlMs', options.sessionTtlMs ?? 60_000);
    this.monitorObject = options.monitorObject ?? 'SOAP';
    this.dynamicPbxIds = new Set(options.dynamicPbxIds ?? []);
    this.usersByName = new Map(options.directory.users.map((user) => [user.name, user]));
    // Session ids of the two instances differ, so a client that mixes them up gets "unknown session".
    this.nextSessionId = options.role === 'primary' ? 0x1000 : 0x8000;
  }

  /** Starts serving; resolves with the SOAP endpoint and the WSDL address. */
  async listen(port = 0, host = '127.0.0.1'): Promise<{ url: string; wsdlUrl: string }> {
    if (this.http) throw new Error('PbxSoapService: already listening');
    this.soap = await createServerless({
      path: SOAP_PATH,
      services: this.services(),
      // The server side needs no SOAP-ENC schema; importing it would make node-soap fetch it.
      xml: withoutSchemaImport(pbxWsdlTemplate()),
    });
    unqualifyRpcParts(this.soap);
    const http = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendFault(res, new SoapFaultError('Server', `internal: ${String(error)}`));
        else res.destroy();
      });
    });
    this.http = http;
    const origin = await listenHttp(http, port, host);
    this.baseUrl = `${origin}/PBX0`;
    this.sweep = setInterval(() => this.expireSessions(), Math.max(1000, this.sessionTtlMs / 4)).unref();
    const url = `${this.baseUrl}/user.soap`;
    return { url, wsdlUrl: `${origin}${WSDL_PATH}` };
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
    clearInterval(this.faultWatch);
    this.sweep = undefined;
    this.faultWatch = undefined;
    for (const session of this.sessions.values()) this.finishWaiter(session);
    this.sessions.clear();
    const http = this.http;
    this.http = undefined;
    if (http) await closeHttp(http);
  }

  onCallEvent(call: PlannedCall, event: CallEvent): void {
    const time = call.setupTime + event.at;
    let leg = this.legs.get(event.leg);
    if (!leg) {
      leg = {
        user: event.user,
        confId: event.conf ?? call.confId,
        outgoing: event.outgoing,
        peer: event.peer,
        state: 0,
        msg: '',
        released: false,
      };
      this.legs.set(event.leg, leg);
    }
    if (leg.released) return;
    leg.peer = event.peer;
    const { state, msg } = nextState(leg, event);
    leg.state = state;
    leg.msg = msg;
    this.publish(event.leg, leg, event, time, true);
    if (event.type === 'release') {
      leg.released = true;
      this.publish(event.leg, { ...leg, msg: 'del' }, event, time, false);
      this.legs.delete(event.leg);
    }
  }

  onCallEnd(call: PlannedCall, conference: string = call.confId): void {
    const time = call.setupTime + call.endAt;
    for (const [handle, leg] of this.legs) {
      if (leg.confId !== conference) continue;
      const last: CallEvent = { at: call.endAt, type: 'release', user: leg.user, leg: handle, peer: leg.peer, outgoing: leg.outgoing };
      this.publish(handle, { ...leg, msg: 'del' }, last, time, false);
      this.legs.delete(handle);
    }
  }

  // ---- HTTP ------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const dynamic = /^\/PBX-([A-Za-z0-9_.-]{1,64})\/user\.soap$/.exec(path)?.[1];
    const soapPath = path === SOAP_PATH || (dynamic !== undefined && this.dynamicPbxIds.has(dynamic));
    if (!soapPath && path !== XSD_PATH && path !== WSDL_PATH) {
      sendText(res, 404, `not found: ${path}`);
      return;
    }
    if (this.faults.soapDown) {
      sendText(res, 503, 'SOAP service unavailable');
      return;
    }
    if (!this.authorized(req)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="PBX0", charset="UTF-8"');
      sendText(res, 401, 'authentication required');
      return;
    }
    if (req.method === 'GET') {
      if (path === XSD_PATH) {
        sendXml(res, 200, soapEncodingXsd());
      } else if (path === WSDL_PATH) {
        sendXml(res, 200, pbx10Wsdl(this.baseUrl));
      } else if (new URL(req.url ?? '/', 'http://localhost').search.toLowerCase().startsWith('?wsdl')) {
        sendXml(res, 200, pbx10Wsdl(this.baseUrl));
      } else {
        sendText(res, 405, 'POST a SOAP request, or GET ?wsdl');
      }
      return;
    }
    if (req.method !== 'POST' || !soapPath) {
      res.setHeader('Allow', 'GET, POST');
      sendText(res, 405, `method ${req.method ?? ''} not allowed`);
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      sendFault(res, new SoapFaultError('Client', `request: body larger than ${MAX_BODY_BYTES} bytes`, 413));
      return;
    }
    if (!this.isActive()) {
      this.dropSessions();
      sendFault(res, standbyFault(this.faults.activePbx));
      return;
    }
    const soap = this.soap;
    if (!soap) throw new Error('SOAP server not ready');
    const problem = this.checkEnvelope(soap, body);
    if (problem) {
      sendFault(res, new SoapFaultError('Client', `request: ${problem}`));
      return;
    }
    // Dispatch by the body element: a SOAPAction that differs from the WSDL's must not misroute.
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name !== 'soapaction' && typeof value === 'string') headers[name] = value;
    }
    const answer = await soap.processRequest(body, { headers, url: SOAP_PATH, method: 'POST' });
    if (this.faults.soapDown) {
      sendText(res, 503, 'SOAP service unavailable');
      return;
    }
    const statusCode = answer.statusCode ?? 200;
    if (!answer.body.includes('Envelope')) {
      sendFault(res, new SoapFaultError('Server', `internal: ${answer.body.slice(0, 200)}`));
      return;
    }
    sendXml(res, statusCode, answer.body);
  }

  private authorized(req: IncomingMessage): boolean {
    if (this.username === undefined) return true;
    const header = req.headers.authorization ?? '';
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!match?.[1]) return false;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 && decoded.slice(0, colon) === this.username && decoded.slice(colon + 1) === this.password;
  }

  /** Why the request is not a SOAP call of one of our operations, or undefined when it is. */
  private checkEnvelope(soap: SoapServer, body: string): string | undefined {
    if (!body.trim()) return 'empty body';
    // node-soap's parser fails obscurely on elements the WSDL does not know: name the operation first.
    const first = /<(?:[\w.-]+:)?Body\b[^>]*>\s*<(?:[\w.-]+:)?([\w.-]+)/.exec(body)?.[1];
    if (first !== undefined && !OPERATIONS.has(first)) return `unknown operation ${first}`;
    let parsed: unknown;
    try {
      // The same parser node-soap dispatches with (its `wsdl` is public at run time, private in the typings).
      parsed = (soap as unknown as { wsdl: { xmlToObject(xml: string): unknown } }).wsdl.xmlToObject(body);
    } catch (error) {
      return `malformed SOAP envelope: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
    }
    if (!isRecord(parsed) || !isRecord(parsed['Body'])) return 'no SOAP Body';
    const names = Object.keys(parsed['Body']).filter((key) => key !== 'attributes');
    const operation = names[0];
    if (operation === undefined) return 'empty SOAP Body';
    if (!OPERATIONS.has(operation)) return `unknown operation ${operation}`;
    return undefined;
  }

  private isActive(): boolean {
    return this.faults.activePbx === this.role;
  }

  // ---- SOAP operations ------------------------------------------------

  private services(): IServices {
    const op = (fn: (args: Record<string, unknown>) => unknown) => (args: unknown) => fn(isRecord(args) ? args : {});
    return {
      pbx: {
        pbxPort: {
          Version: op(() => ({
            WSDLVersion: WSDL_VERSION,
            GatekeeperID: this.directory.pbxName,
            Location: this.directory.pbxName,
            FirmwareVersion: `V10 embedded simulator (${this.role})`,
            SerialNumber: this.directory.gatewaySerial,
          })),
          Echo: op((args) => {
            const session = this.sessions.get(intArg(args, 'session'));
            const ok = session !== undefined && session.key === intArg(args, 'key');
            if (session) session.lastSeen = Date.now();
            return { return: ok && session ? session.id : 0 };
          }),
          Initialize: op((args) => this.initialize(args)),
          End: op((args) => {
            const session = this.sessions.get(intArg(args, 'session'));
            if (session) {
              this.finishWaiter(session);
              this.sessions.delete(session.id);
            }
            return {};
          }),
          Poll: op((args) => this.poll(intArg(args, 'session'))),
          Calls: op((args) => this.calls(intArg(args, 'session'), stringArg(args, 'user'))),
          UserInitialize: op((args) => this.userInitialize(args)),
          UserEnd: op((args) => {
            const handle = intArg(args, 'user');
            for (const session of this.sessions.values()) session.users.delete(handle);
            return {};
          }),
          FindUser: op((args) => this.findUser(args)),
        },
      },
    };
  }

  private initialize(args: Record<string, unknown>): { return: number; key: number } {
    const id = this.nextSessionId++;
    const session: Session = {
      id,
      key: randomInt(1, 0x7fffffff),
      user: stringArg(args, 'user'),
      appl: stringArg(args, 'appl'),
      lastSeen: Date.now(),
      users: new Map(),
      news: { users: [], calls: [] },
      waiter: undefined,
    };
    this.sessions.set(id, session);
    return { return: id, key: session.key };
  }

  private userInitialize(args: Record<string, unknown>): { return: number } {
    const session = this.liveSession(intArg(args, 'session'));
    const name = stringArg(args, 'user');
    const user = this.findDirectoryUser(name);
    let monitored: MonitoredUser;
    let info: SoapUserInfo;
    if (user) {
      monitored = { handle: this.nextUserHandle++, name: user.name, scope: user.recordingGroup ? 'group' : 'self' };
      info = userInfo(user);
    } else if (name !== '' && name === this.monitorObject) {
      monitored = { handle: this.nextUserHandle++, name, scope: 'group' };
      info = monitorInfo(name);
    } else {
      return { return: 0 };
    }
    session.users.set(monitored.handle, monitored);
    this.queue(session, { users: [info], calls: [] });
    return { return: monitored.handle };
  }

  private async poll(sessionId: number): Promise<{ return: { user: { item: SoapUserInfo[] }; call: { item: SoapCallInfo[] } } }> {
    const session = this.liveSession(sessionId);
    this.finishWaiter(session);
    let news = session.news;
    if (news.users.length === 0 && news.calls.length === 0) {
      news = await new Promise<PollNews>((resolve, reject) => {
        const timer = setTimeout(() => {
          session.waiter = undefined;
          resolve(takeNews(session));
        }, this.pollTimeoutMs);
        session.waiter = { resolve, reject, timer };
        this.watchFaults();
      });
    } else {
      news = takeNews(session);
    }
    session.lastSeen = Date.now();
    return { return: { user: { item: news.users }, call: { item: news.calls } } };
  }

  private calls(sessionId: number, userName: string): { return: { item: SoapCallInfo[] } } {
    const session = this.liveSession(sessionId);
    const monitored = [...session.users.values()];
    const items: SoapCallInfo[] = [];
    const now = this.clock.now();
    for (const [handle, leg] of this.legs) {
      if (userName !== '' && leg.user !== userName && this.findDirectoryUser(userName)?.name !== leg.user) continue;
      for (const viewer of monitored) {
        if (!this.sees(viewer, leg.user)) continue;
        const event: CallEvent = { at: 0, type: 'connect', user: leg.user, leg: handle, peer: leg.peer, outgoing: leg.outgoing };
        items.push(this.callInfo(viewer.handle, handle, leg, event, now, true));
      }
    }
    return { return: { item: items } };
  }

  private findUser(args: Record<string, unknown>): { return: { item: SoapUserInfo[] } } {
    const cn = stringArg(args, 'cn');
    const h323 = stringArg(args, 'h323');
    const e164 = stringArg(args, 'e164');
    const count = optionalIntArg(args, 'count') ?? 100;
    const next = optionalIntArg(args, 'next') ?? 0;
    const found = this.directory.users.filter(
      (user) => (cn === '' || user.displayName === cn) && (h323 === '' || user.name === h323) && (e164 === '' || user.number === e164),
    );
    return { return: { item: found.slice(Math.max(0, next), Math.max(0, next) + Math.max(0, count)).map(userInfo) } };
  }

  // ---- sessions and news ------------------------------------------------

  private liveSession(id: number): Session {
    const session = this.sessions.get(id);
    if (!session || Date.now() - session.lastSeen > this.sessionTtlMs) {
      if (session) this.sessions.delete(id);
      throw new SoapFaultError('Client', `session: unknown or expired session ${id}; call Initialize again`);
    }
    session.lastSeen = Date.now();
    return session;
  }

  private findDirectoryUser(name: string): PbxUser | undefined {
    if (name === '') return undefined;
    return this.usersByName.get(name) ?? this.directory.users.find((user) => user.displayName === name || user.number === name);
  }

  private sees(viewer: MonitoredUser, legUser: string): boolean {
    if (viewer.name === legUser) return true;
    return viewer.scope === 'group' && this.usersByName.get(legUser)?.recordingGroup === true;
  }

  private publish(handle: number, leg: LegState, event: CallEvent, time: number, active: boolean): void {
    for (const session of this.sessions.values()) {
      const calls: SoapCallInfo[] = [];
      for (const viewer of session.users.values()) {
        if (this.sees(viewer, leg.user)) calls.push(this.callInfo(viewer.handle, handle, leg, event, time, active));
      }
      if (calls.length > 0) this.queue(session, { users: [], calls });
    }
  }

  private callInfo(viewer: number, handle: number, leg: LegState, event: CallEvent, time: number, active: boolean): SoapCallInfo {
    const user = this.usersByName.get(leg.user);
    const reported = time + this.faults.clockSkewMs;
    const info: SoapInfo[] = [
      { type: 'conf', vali: 0, vals: leg.confId },
      { type: 'time', vali: Math.floor(reported / 1000), vals: new Date(reported).toISOString() },
      { type: 'event', vali: 0, vals: active ? event.type : 'del' },
    ];
    if (active && event.detail !== undefined) info.push({ type: 'detail', vali: 0, vals: event.detail });
    return {
      user: viewer,
      call: handle,
      reg: 0,
      active,
      state: leg.state,
      No: {
        item: [
          {
            type: 'this',
            cn: user?.displayName ?? leg.user,
            dn: user?.displayName ?? leg.user,
            e164: user?.number ?? '',
            h323: leg.user,
          },
          {
            type: 'peer',
            cn: event.peer.name ?? '',
            dn: event.peer.name ?? '',
            e164: event.peer.number,
            h323: event.peer.object ?? '',
          },
        ],
      },
      msg: leg.msg,
      info: { item: info },
    };
  }

  private queue(session: Session, news: PollNews): void {
    session.news.users.push(...news.users);
    session.news.calls.push(...news.calls);
    const waiter = session.waiter;
    if (waiter) {
      session.waiter = undefined;
      clearTimeout(waiter.timer);
      waiter.resolve(takeNews(session));
    }
  }

  /** Answers a hanging poll at once with whatever is queued. */
  private finishWaiter(session: Session): void {
    const waiter = session.waiter;
    if (!waiter) return;
    session.waiter = undefined;
    clearTimeout(waiter.timer);
    waiter.resolve(takeNews(session));
  }

  /** While polls hang, looks at the fault switches so that soapDown or a switch-over releases them. */
  private watchFaults(): void {
    if (this.faultWatch) return;
    this.faultWatch = setInterval(() => {
      const waiting = [...this.sessions.values()].filter((session) => session.waiter !== undefined);
      if (waiting.length === 0) {
        clearInterval(this.faultWatch);
        this.faultWatch = undefined;
        return;
      }
      if (this.faults.soapDown) {
        for (const session of waiting) this.failWaiter(session, new SoapFaultError('Server', 'down: SOAP service unavailable', 503));
      } else if (!this.isActive()) {
        this.dropSessions();
      }
    }, FAULT_WATCH_MS).unref();
  }

  private failWaiter(session: Session, fault: SoapFaultError): void {
    const waiter = session.waiter;
    if (!waiter) return;
    session.waiter = undefined;
    clearTimeout(waiter.timer);
    waiter.reject(fault);
  }

  /** An instance that is not the active PBX keeps no sessions: clients must Initialize on the active one. */
  private dropSessions(): void {
    for (const session of this.sessions.values()) this.failWaiter(session, standbyFault(this.faults.activePbx));
    this.sessions.clear();
  }

  private expireSessions(): void {
    const now = Date.now();
    for (const session of this.sessions.values()) {
      if (session.waiter === undefined && now - session.lastSeen > this.sessionTtlMs) this.sessions.delete(session.id);
    }
  }
}

const OPERATIONS = new Set(['Version', 'Echo', 'Initialize', 'End', 'Poll', 'Calls', 'UserInitialize', 'UserEnd', 'FindUser']);

function nextState(leg: LegState, event: CallEvent): { state: number; msg: string } {
  const toUser = leg.outgoing ? 0 : CALL_STATE.toUser;
  const held = leg.state & CALL_STATE.held;
  const base = leg.state & 0x0f;
  // r- = received by the PBX from the user's device, x- = sent by the PBX to it.
  const fromUser = (outgoing: boolean) => (outgoing ? 'r' : 'x');
  const toDevice = (outgoing: boolean) => (outgoing ? 'x' : 'r');
  switch (event.type) {
    case 'setup':
      return { state: CALL_STATE.setup | toUser, msg: `${fromUser(leg.outgoing)}-setup` };
    case 'alert':
      return { state: CALL_STATE.alert | toUser | held, msg: `${toDevice(leg.outgoing)}-alert` };
    case 'connect':
      return { state: CALL_STATE.connect | toUser | held, msg: `${toDevice(leg.outgoing)}-conn` };
    case 'hold':
      return { state: (base || CALL_STATE.connect) | toUser | CALL_STATE.held, msg: 'hold' };
    case 'retrieve':
      return { state: (base || CALL_STATE.connect) | toUser, msg: 'retrieve' };
    case 'release':
      return { state: CALL_STATE.disconnectSent | toUser, msg: 'x-rel' };
    default:
      return { state: (base || CALL_STATE.setup) | toUser | held, msg: event.type };
  }
}

type RpcSerializer = (name: string, params: unknown, nsPrefix: string, nsURI: string, isParts?: boolean) => string;

/**
 * rpc style puts the response parts unqualified inside the namespaced
 * wrapper (`<inno:PollResponse><return>…`), as the real PBX answers; node-soap's
 * server would qualify them (`<inno:return>`), so its serialiser is told they are parts.
 */
function unqualifyRpcParts(soap: SoapServer): void {
  const wsdl = (soap as unknown as { wsdl: { objectToRpcXML: RpcSerializer } }).wsdl;
  const original = wsdl.objectToRpcXML.bind(wsdl);
  wsdl.objectToRpcXML = (name, params, nsPrefix, nsURI) => original(name, params, nsPrefix, nsURI, true);
}

function takeNews(session: Session): PollNews {
  const news = session.news;
  session.news = { users: [], calls: [] };
  return news;
}

function userInfo(user: PbxUser): SoapUserInfo {
  return {
    guid: guidOf(user.name),
    active: true,
    state: 0,
    channel: 0,
    alert: 0,
    cn: user.displayName,
    dn: user.displayName,
    type: 'user',
    e164: user.number,
    h323: user.name,
    groups: { item: user.recordingGroup ? [{ group: RECORDING_GROUP_NAME, active: true }] : [] },
  };
}

function monitorInfo(name: string): SoapUserInfo {
  return {
    guid: guidOf(name),
    active: true,
    state: 0,
    channel: 0,
    alert: 0,
    cn: name,
    dn: name,
    type: 'user',
    e164: '',
    h323: name,
    groups: { item: [{ group: RECORDING_GROUP_NAME, active: true }] },
  };
}

/** A stable 32-hex-digit object guid derived from the object name (FNV-1a, four rounds). */
function guidOf(name: string): string {
  let out = '';
  for (let round = 0; round < 4; round++) {
    let hash = 0x811c9dc5 ^ round;
    for (const char of name) hash = Math.imul(hash ^ char.codePointAt(0)!, 0x01000193) >>> 0;
    out += hash.toString(16).padStart(8, '0');
  }
  return out;
}

function standbyFault(active: 'primary' | 'standby'): SoapFaultError {
  return new SoapFaultError('Server', `standby: this PBX is not the active one (active: ${active}); connect to the active PBX`, 503);
}

function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`PbxSoapService: ${name} must be a positive number, got ${value}`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A part's text (node-soap hands rpc parts over as strings; nil or absent parts as null/undefined). */
function partText(args: Record<string, unknown>, name: string): string | undefined {
  const value = args[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isRecord(value) && typeof value['$value'] === 'string') return value['$value'];
  if (isRecord(value) && Object.keys(value).every((key) => key === 'attributes')) return '';
  throw new SoapFaultError('Client', `request: part ${name} must be a simple value`);
}

function stringArg(args: Record<string, unknown>, name: string): string {
  return partText(args, name) ?? '';
}

function optionalIntArg(args: Record<string, unknown>, name: string): number | undefined {
  const text = partText(args, name)?.trim();
  if (text === undefined || text === '') return undefined;
  if (!/^-?\d{1,10}$/.test(text)) throw new SoapFaultError('Client', `request: part ${name} must be an integer, got "${text.slice(0, 40)}"`);
  return Number(text);
}

function intArg(args: Record<string, unknown>, name: string): number {
  const value = optionalIntArg(args, name);
  if (value === undefined) throw new SoapFaultError('Client', `request: part ${name} is missing`);
  return value;
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(`${text}\n`);
}

function sendXml(res: ServerResponse, status: number, xml: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/xml; charset=utf-8');
  res.end(xml);
}

function sendFault(res: ServerResponse, fault: SoapFaultError): void {
  const body =
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>' +
    `<faultcode>${fault.Fault.faultcode}</faultcode><faultstring>${escapeXml(fault.Fault.faultstring)}</faultstring>` +
    '</soap:Fault></soap:Body></soap:Envelope>';
  sendXml(res, fault.Fault.statusCode, body);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
