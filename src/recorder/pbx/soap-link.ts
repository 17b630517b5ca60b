import { EventEmitter } from 'node:events';
import { BasicAuthSecurity, Client, WSDL } from 'soap';
import { pbx10Wsdl } from './pbx10-wsdl.js';
import { AnswerTooLargeError, MAX_SOAP_ANSWER_BYTES } from './answer-limit.js';

export interface PbxLinkOptions {
  /** The active PBX's SOAP endpoint, e.g. http://pbx/PBX0/user.soap or a dynamic PBX's http://host/PBX-<id>/user.soap (the WSDL is the shipped pbx10_00 copy). */
  readonly url: string;
  /** The standby PBX's endpoint. */
  readonly standbyUrl?: string;
  readonly username?: string;
  readonly password?: string;
  /** The PBX object the recorder monitors: a blank user in the recording group (the reference's "SOAP" user). */
  readonly monitorUser?: string;
  /** Application name sent with Initialize. */
  readonly application?: string;
  /** Longest wait for a poll answer before the link is taken as broken (ms, default 65000: above the PBX's long-poll). */
  readonly pollTimeoutMs?: number;
  /** How long a call must have no open leg before it is reported ended (ms, default 250): a forward or pickup opens the next leg right after. */
  readonly endGraceMs?: number;
  /** Back-off between reconnection rounds (ms): doubles from the first up to the last value. */
  readonly backoffMs?: readonly [number, number];
  /** Largest SOAP answer (and WSDL) read, bytes (default 8 MiB); a larger one breaks the link with AnswerTooLargeError. */
  readonly maxAnswerBytes?: number;
}

/** A leg's news as the PBX's CallInfo carries it, reduced to what the recorder uses. */
export interface CallLegInfo {
  readonly confId: string;
  readonly leg: string;
  readonly msg: string;
  readonly state: number;
  readonly active: boolean;
  /** The monitored user's number and name, and the far party's number. */
  readonly user?: { readonly e164?: string; readonly h323?: string; readonly cn?: string };
  readonly peer?: { readonly e164?: string; readonly h323?: string; readonly cn?: string };
}

export interface CallEndInfo {
  readonly confId: string;
  /** Numbers of the internal users whose legs were seen. */
  readonly users: readonly string[];
  /** When the call's last open leg had its final record (ms since epoch, local clock): the end as the PBX reported it. */
  readonly seenAt: number;
}

export interface PbxLinkStatus {
  readonly up: boolean;
  /** Which PBX the link is on (or last tried). */
  readonly pbx: 'active' | 'standby';
  readonly url: string;
  readonly error?: string;
  /** The PBX device's serial number from Version (the hardware id its own gateway puts in v11 capture names). */
  readonly serial?: string;
}

/** A user object as the PBX's FindUser lists it: names, number and the groups it is a member of. */
export interface PbxUserObject {
  readonly cn: string;
  readonly h323: string;
  readonly e164: string;
  /** Names of the groups the object is an active member of. */
  readonly groups: readonly string[];
}

export interface PbxLinkEvents {
  'call-event': [CallLegInfo];
  'call-end': [CallEndInfo];
  status: [PbxLinkStatus];
  /** The PBX's user objects in its own order, read once per session (the licence count goes by it). */
  users: [readonly PbxUserObject[]];
}

interface RawNo {
  type?: string;
  e164?: string | null;
  h323?: string | null;
  cn?: string | null;
}
interface RawUserInfo {
  cn?: string | null;
  h323?: string | null;
  e164?: string | null;
  type?: string | null;
  groups?: { item?: { group?: string | null; active?: string | boolean | null } | Array<{ group?: string | null; active?: string | boolean | null }> } | null;
}
interface RawInfo {
  type?: string;
  vals?: string | null;
  vali?: string | number | null;
}
interface RawCall {
  user?: string;
  call?: string | number;
  active?: string | boolean;
  state?: string | number;
  msg?: string;
  No?: { item?: RawNo | RawNo[] } | null;
  info?: { item?: RawInfo | RawInfo[] } | null;
}

/** Most user objects read from one PBX (a page of 100 at a time). */
const MAX_USER_OBJECTS = 100_000;

function items<T>(value: { item?: T | T[] } | null | undefined): T[] {
  const item = value?.item;
  if (item === undefined || item === null) return [];
  return Array.isArray(item) ? item : [item];
}

function clean(no: RawNo | undefined): CallLegInfo['user'] {
  if (!no) return undefined;
  return {
    ...(no.e164 ? { e164: no.e164 } : {}),
    ...(no.h323 ? { h323: no.h323 } : {}),
    ...(no.cn ? { cn: no.cn } : {}),
  };
}

/**
 * The recorder's SOAP link to the PBX: Initialize, UserInitialize of the
 * monitor object, then a long-poll loop turning CallInfo records into call
 * events and call ends (a call ends when every leg with its conference id
 * has had its final record). On any failure it reconnects with back-off,
 * trying the standby PBX between attempts at the active one, as the
 * reference describes; after a reconnect the PBX starts a new session, so
 * calls whose end fell into the outage are found by the ingest side instead
 * (captures without a SOAP end are checked against the reporting).
 */
export class PbxLink extends EventEmitter<PbxLinkEvents> {
  private running = false;
  private loop: Promise<void> | undefined;
  private controller = new AbortController();
  private readonly openLegs = new Map<string, { open: Set<string>; users: Set<string>; ending?: NodeJS.Timeout | undefined }>();
  private current: 'active' | 'standby' = 'active';
  private statusValue: PbxLinkStatus;
  private clients = new Map<string, Client>();

  constructor(private readonly options: PbxLinkOptions) {
    super();
    new URL(options.url);
    if (options.standbyUrl) new URL(options.standbyUrl);
    this.statusValue = { up: false, pbx: 'active', url: options.url };
  }

  get status(): PbxLinkStatus {
    return this.statusValue;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.controller = new AbortController();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.controller.abort(new Error('link stopped'));
    await this.loop?.catch(() => undefined);
    this.loop = undefined;
  }

  /** Largest answer read from the PBX (the WSDL and every call). */
  private get answerLimit(): number {
    return this.options.maxAnswerBytes ?? MAX_SOAP_ANSWER_BYTES;
  }

  private urlOf(which: 'active' | 'standby'): string {
    return which === 'standby' && this.options.standbyUrl ? this.options.standbyUrl : this.options.url;
  }

  private async run(): Promise<void> {
    const [firstBackoff, maxBackoff] = this.options.backoffMs ?? [1000, 10_000];
    let backoff = firstBackoff;
    while (this.running) {
      const url = this.urlOf(this.current);
      try {
        await this.session(url, () => {
          backoff = firstBackoff;
        });
      } catch (error) {
        if (!this.running) break;
        const reason = error instanceof Error ? error.message : String(error);
        this.setStatus({ up: false, pbx: this.current, url, error: reason });
        this.clients.delete(url);
        // Active failed: try the standby at once; standby failed too: wait, then the active again.
        if (this.options.standbyUrl && this.current === 'active') {
          this.current = 'standby';
          continue;
        }
        this.current = 'active';
        await sleep(backoff, this.controller.signal).catch(() => undefined);
        backoff = Math.min(maxBackoff, backoff * 2);
      }
    }
  }

  private async client(url: string): Promise<Client> {
    const cached = this.clients.get(url);
    if (cached) return cached;
    const { username, password } = this.options;
    // The WSDL is the copy shipped with the recorder, never fetched from the PBX: a PBX (or a proxy before it)
    // cannot hand the link a different contract, and a dynamic PBX at /PBX-<id>/ needs no WSDL of its own.
    const wsdl = new WSDL(pbx10Wsdl(url.replace(/\/user\.soap$/, ''), { forClient: true }), 'pbx10_00.wsdl', {});
    await new Promise<void>((resolve, reject) => wsdl.onReady((error) => (error ? reject(error) : resolve())));
    const client = new Client(wsdl, url, {});
    if (username !== undefined) client.setSecurity(new BasicAuthSecurity(username, password ?? ''));
    this.clients.set(url, client);
    return client;
  }

  private async session(url: string, connected: () => void): Promise<void> {
    const client = await this.client(url);
    const timeout = this.options.pollTimeoutMs ?? 65_000;
    const limit = this.answerLimit;
    const call = async (operation: string, args: unknown): Promise<Record<string, unknown>> => {
      const method = client[`${operation}Async`] as ((args: unknown, options: unknown) => Promise<[Record<string, unknown>]>) | undefined;
      if (!method) throw new Error(`${url}: the WSDL has no ${operation} operation`);
      try {
        const [result] = await method.call(client, args, { timeout, signal: this.controller.signal, maxContentLength: limit });
        return result ?? {};
      } catch (error) {
        if (isOversize(error)) throw new AnswerTooLargeError(url, operation, limit);
        throw new Error(`${operation}: ${describeSoapError(error)}`);
      }
    };
    const init = await call('Initialize', { user: this.options.monitorUser ?? 'SOAP', appl: this.options.application ?? 'recorder', v: true, v501: true, v700: true, v800: true, vx1000: true });
    const session = Number(init.return);
    if (!Number.isFinite(session) || session === 0) throw new Error('Initialize: the PBX gave no session');
    const handle = await call('UserInitialize', { session, user: this.options.monitorUser ?? 'SOAP', xfer: false, disc: true, hw: '' });
    if (Number(handle.return) === 0) throw new Error(`UserInitialize: the PBX has no object "${this.options.monitorUser ?? 'SOAP'}" to monitor`);
    // A new session starts from the PBX's present: legs remembered from the old one would never end.
    this.openLegs.clear();
    // The PBX's serial number: its own gateway's captures carry it; a device that is neither it nor in a CDR is a phone.
    // node-soap sends an rpc message without parts only for null arguments.
    const version = await call('Version', null).catch(() => undefined);
    const serial = typeof version?.SerialNumber === 'string' && /^[0-9A-Za-z]{1,32}$/.test(version.SerialNumber) ? version.SerialNumber.toLowerCase() : undefined;
    connected();
    this.setStatus({ up: true, pbx: this.current, url, ...(serial !== undefined ? { serial } : {}) });
    // The user objects, as the reference's recorder reads them at start-up to count the recording group against
    // the licences. A PBX that does not answer leaves the last list in force.
    const users = await this.readUsers(call).catch(() => undefined);
    if (users) this.emit('users', users);
    // Calls already going when the session starts (a restart or reconnect mid-call) get no new records until they
    // change: ask for them, so their legs count as open and a call on hold is not taken as over. A PBX that does
    // not answer this leaves those calls to the captures' own settling.
    const current = await call('Calls', { session, user: '' }).catch(() => undefined);
    for (const raw of items<RawCall>(current?.return as { item?: RawCall | RawCall[] } | null | undefined)) this.handle(raw);
    while (this.running) {
      const result = await call('Poll', { session });
      const answer = result.return as { call?: { item?: RawCall | RawCall[] } | null } | undefined;
      for (const raw of items<RawCall>(answer?.call)) this.handle(raw);
    }
  }

  /** Every user object, in the PBX's order: FindUser with no filter, a page of 100 at a time. */
  private async readUsers(call: (operation: string, args: unknown) => Promise<Record<string, unknown>>): Promise<PbxUserObject[]> {
    const users: PbxUserObject[] = [];
    const page = 100;
    for (let next = 0; next < MAX_USER_OBJECTS; next += page) {
      const answer = await call('FindUser', { v501: '', v700: '', v800: '', vx1000: '', cn: '', h323: '', e164: '', count: page, next });
      const found = items<RawUserInfo>(answer.return as { item?: RawUserInfo | RawUserInfo[] } | null | undefined);
      for (const raw of found) {
        if (raw.type && raw.type !== 'user') continue;
        const groups = items(raw.groups)
          .filter((member) => member.active !== false && member.active !== 'false' && typeof member.group === 'string')
          .map((member) => member.group as string);
        users.push({ cn: raw.cn ?? '', h323: raw.h323 ?? '', e164: raw.e164 ?? '', groups });
      }
      if (found.length < page) break;
    }
    return users;
  }

  private handle(raw: RawCall): void {
    const info = items<RawInfo>(raw.info);
    const confId = info.find((item) => item.type === 'conf')?.vals ?? undefined;
    if (!confId) return;
    const numbers = items<RawNo>(raw.No);
    const self = numbers.find((no) => no.type === 'this');
    const peer = numbers.find((no) => no.type === 'peer');
    const leg = String(raw.call ?? '');
    const active = raw.active === true || raw.active === 'true';
    const event: CallLegInfo = {
      confId,
      leg,
      msg: raw.msg ?? '',
      state: Number(raw.state ?? 0),
      active,
      ...(clean(self) ? { user: clean(self)! } : {}),
      ...(clean(peer) ? { peer: clean(peer)! } : {}),
    };
    this.emit('call-event', event);
    let tracked = this.openLegs.get(confId);
    if (!tracked) {
      tracked = { open: new Set(), users: new Set() };
      this.openLegs.set(confId, tracked);
    }
    if (self?.e164) tracked.users.add(self.e164);
    if (raw.msg === 'del' || !active) {
      tracked.open.delete(leg);
      if (tracked.open.size === 0 && !tracked.ending) {
        // A forwarded or picked-up leg ends while the call goes on at a new leg a moment later: wait briefly before calling it over.
        const entry = tracked;
        // The call ended when its last leg's final record came, not when the wait for a follow-on leg ran out.
        const endedAt = Date.now();
        entry.ending = setTimeout(() => {
          if (entry.open.size > 0) return;
          this.openLegs.delete(confId);
          this.emit('call-end', { confId, users: [...entry.users], seenAt: endedAt });
        }, this.options.endGraceMs ?? 250);
        entry.ending.unref();
      }
    } else {
      tracked.open.add(leg);
      if (tracked.ending) {
        clearTimeout(tracked.ending);
        tracked.ending = undefined;
      }
    }
  }

  private setStatus(status: PbxLinkStatus): void {
    const changed = status.up !== this.statusValue.up || status.pbx !== this.statusValue.pbx || status.error !== this.statusValue.error;
    this.statusValue = status;
    if (changed) this.emit('status', status);
  }
}

/** axios's refusal of an answer past maxContentLength (it stops reading there). */
function isOversize(error: unknown): boolean {
  return error instanceof Error && /maxContentLength size of \d+ exceeded/.test(error.message);
}

function describeSoapError(error: unknown): string {
  const response = (error as { response?: { status?: number; data?: unknown } }).response;
  const body = typeof response?.data === 'string' ? response.data : '';
  const fault = /<faultstring[^>]*>([^<]*)</i.exec(body)?.[1];
  if (response?.status) return `HTTP ${response.status}${fault ? `: ${fault}` : body ? `: ${body.slice(0, 120).trim()}` : ''}`;
  const code = (error as { code?: string }).code;
  return code ? `${code}${error instanceof Error ? ` (${error.message})` : ''}` : error instanceof Error ? error.message : String(error);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}
