import { AnswerEncodingError, AnswerTooLargeError, MAX_REPORTING_ANSWER_BYTES, decodeXmlBytes, readBytesWithin } from './answer-limit.js';
import type { Cdr } from './cdr.js';
import { CdrParseError } from './cdr.js';
import { ReportParseError, parseReportXml } from './report-xml.js';
import type { ReportRecord } from './report-xml.js';
import { legFromReportRecord } from './report-legs.js';

export interface ReportingClientOptions {
  /** report.php of the active reporting, e.g. http://host/apps/innovaphone-reporting/report.php */
  readonly url: string;
  /** report.php of the standby reporting. */
  readonly standbyUrl?: string;
  readonly username?: string;
  readonly password?: string;
  /** Per-request time limit (ms, default 10000). */
  readonly timeoutMs?: number;
  /** Largest answer read (bytes, default 8 MiB); a larger one is refused as ReportingAnswerTooLargeError. */
  readonly maxAnswerBytes?: number;
}

/** The reporting could not be asked (down, refused, 5xx, bad credentials, junk answer): try again later; the REP lamp goes red. */
export class ReportingUnavailableError extends Error {
  override readonly name: string = 'ReportingUnavailableError';
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`reporting ${url}: ${reason}`);
  }
}

/** The reporting answered more than the limit: cut off unread; the REP lamp goes red as for any unusable answer. */
export class ReportingAnswerTooLargeError extends ReportingUnavailableError {
  override readonly name = 'ReportingAnswerTooLargeError';
  constructor(
    url: string,
    readonly limit: number,
  ) {
    super(url, `answer larger than ${limit / (1024 * 1024)} MiB: refused unread (the CDRs of one call are a few KB)`);
  }
}

/**
 * Asks innovaphone Reporting's remote interface for the CDRs of one
 * conference. An empty answer means "no record (yet)"; an unreachable or
 * broken reporting throws ReportingUnavailableError, which is never taken
 * for "no record" — deleting a capture on that basis would lose a call.
 * With a standby configured, a failed active is followed by the standby,
 * which stays in use until `preferActive()` (the reference's "follow
 * standby/active").
 */
export class ReportingClient {
  private useStandby = false;

  constructor(private readonly options: ReportingClientOptions) {
    for (const url of [options.url, options.standbyUrl]) if (url !== undefined) new URL(url);
  }

  /** The client of a configuration's `[reporting]` (active, standby, credentials), with options of the caller's. */
  static of(settings: { readonly url: string; readonly standbyUrl?: string | undefined; readonly username: string; readonly password: string }, extra: { readonly timeoutMs?: number } = {}): ReportingClient {
    return new ReportingClient({ url: settings.url, ...(settings.standbyUrl ? { standbyUrl: settings.standbyUrl } : {}), username: settings.username, password: settings.password, ...extra });
  }

  /** Which reporting is asked first now. */
  get current(): 'active' | 'standby' {
    return this.useStandby ? 'standby' : 'active';
  }

  /** Go back to the active reporting (the PBX link saw the active PBX return). */
  preferActive(): void {
    this.useStandby = false;
  }

  async cdrsForConference(confId: string, signal?: AbortSignal): Promise<Cdr[]> {
    if (!/^[0-9a-fA-F]{1,64}$/.test(confId)) throw new RangeError(`conference id must be hex digits, got ${JSON.stringify(confId)}`);
    const conf = confId.toLowerCase();
    return this.ask({ confid: conf }, `conference ${conf}`, (record) => record.conf === conf, signal);
  }

  /**
   * Every CDR of one PBX whose call started in [from, to] (report.php's period report: `pbx` is mandatory there),
   * as call legs; the legs of one call share its `conf`. For reconciling a period against the recordings.
   */
  async cdrsForPeriod(from: Date, to: Date, pbx: string, signal?: AbortSignal): Promise<Cdr[]> {
    if (!(from.getTime() <= to.getTime())) throw new RangeError(`period: from (${from.toISOString()}) is after to (${to.toISOString()})`);
    if (pbx === '') throw new RangeError('period report: the PBX name is empty');
    const unix = (date: Date): string => String(Math.floor(date.getTime() / 1000));
    return this.ask({ from: unix(from), to: unix(to), pbx, sortby: 'time' }, `${from.toISOString()} … ${to.toISOString()}`, () => true, signal);
  }

  private async ask(params: Readonly<Record<string, string>>, what: string, keep: (record: ReportRecord) => boolean, signal: AbortSignal | undefined): Promise<Cdr[]> {
    const order = this.useStandby && this.options.standbyUrl ? [this.options.standbyUrl, this.options.url] : [this.options.url, this.options.standbyUrl];
    let lastError: ReportingUnavailableError | undefined;
    for (const base of order) {
      if (base === undefined) continue;
      try {
        const cdrs = await this.query(base, params, what, keep, signal);
        this.useStandby = base === this.options.standbyUrl && base !== this.options.url;
        return cdrs;
      } catch (error) {
        if (!(error instanceof ReportingUnavailableError)) throw error;
        lastError = error;
        if (signal?.aborted) break;
      }
    }
    throw lastError ?? new ReportingUnavailableError(this.options.url, 'no reporting configured');
  }

  private async query(base: string, params: Readonly<Record<string, string>>, what: string, keep: (record: ReportRecord) => boolean, signal: AbortSignal | undefined): Promise<Cdr[]> {
    const url = new URL(base);
    url.searchParams.set('remote', '1');
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    url.searchParams.set('format', 'xml');
    const headers: Record<string, string> = { accept: 'application/xml, text/xml' };
    if (this.options.username !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${this.options.username}:${this.options.password ?? ''}`).toString('base64')}`;
    }
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 10_000);
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new ReportingUnavailableError(base, `not reachable (${cause ?? (error instanceof Error ? error.message : String(error))})`);
    }
    const limit = this.options.maxAnswerBytes ?? MAX_REPORTING_ANSWER_BYTES;
    let bytes: Buffer;
    try {
      bytes = await readBytesWithin(response, limit, base, 'report.php');
    } catch (error) {
      if (error instanceof AnswerTooLargeError) throw new ReportingAnswerTooLargeError(base, limit);
      bytes = Buffer.alloc(0);
    }
    let body: string;
    try {
      body = decodeXmlBytes(bytes, base, 'report.php');
    } catch (error) {
      if (!(error instanceof AnswerEncodingError)) throw error;
      if (!response.ok) body = '';
      else throw new ReportingUnavailableError(base, `unreadable answer for ${what}: ${error.reason}`);
    }
    if (response.status === 401 || response.status === 403) throw new ReportingUnavailableError(base, `access refused (${response.status}): check the reporting user and password`);
    if (!response.ok) throw new ReportingUnavailableError(base, `answered ${response.status}${body ? `: ${body.slice(0, 200).trim()}` : ''}`);
    try {
      // report.php answers Report XML: one record per PBX object of the call, read as a call leg each.
      return parseReportXml(body, base).filter(keep).map(legFromReportRecord);
    } catch (error) {
      if (error instanceof ReportParseError || error instanceof CdrParseError) {
        throw new ReportingUnavailableError(base, `unreadable answer for ${what}: ${error.reason} (${error.element})`);
      }
      throw error;
    }
  }
}

