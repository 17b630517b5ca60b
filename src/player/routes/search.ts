// Searching: the months, the recordings with the reference's filters, and the user's last played calls. An agent
// searches only the calls of their own numbers.
import type { FastifyInstance } from 'fastify';
import { instantOf } from '../../platform/util/index.js';
import type { RecordingFilter, SearchResult } from '../../recordings/index.js';
import type { Account } from '../accounts.js';
import { canSee, matchesWildcard, recordingJson, seesAll } from '../access.js';
import type { RecordingJson } from '../access.js';
import type { PlayerContext } from '../context.js';
import { HttpError } from '../errors.js';
import { resource, sessionOf } from '../http.js';

/** Largest page of search results. */
export const MAX_PAGE = 500;

const SEARCH_PARAMS = new Set(['month', 'day', 'internal', 'external', 'direction', 'tan', 'format', 'from', 'to', 'order', 'limit', 'offset', 'favourite', 'integrity', 'callId']);
const DATE_PARAM = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** The query string as the index's filter: unknown or repeated parameters and malformed values are 400s naming them. */
function searchFilter(url: URL, account: Account, zone: string): RecordingFilter {
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
  dayAsTimeRange(filter, zone);
  return filter as RecordingFilter;
}

/**
 * Month + day also as a start-time range (that day's midnights in the store's zone): the same recordings, but
 * the index's (month, start) index then reads one day instead of testing every row of the month.
 */
function dayAsTimeRange(filter: Record<string, unknown>, zone: string): void {
  const month = filter.month;
  const day = filter.day;
  if (typeof month !== 'string' || typeof day !== 'number' || !/^\d{4}_(0[1-9]|1[0-2])$/.test(month)) return;
  const year = Number(month.slice(0, 4));
  const m = Number(month.slice(5));
  if (day < 1 || day > new Date(Date.UTC(year, m, 0)).getUTCDate()) return; // the index reports the bad day
  const from = instantOf({ year, month: m, day, hour: 0, minute: 0 }, zone);
  const next = new Date(Date.UTC(year, m - 1, day + 1));
  const to = instantOf({ year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate(), hour: 0, minute: 0 }, zone);
  if (!(filter.from instanceof Date) || filter.from < from) filter.from = from;
  if (!(filter.to instanceof Date) || filter.to > to) filter.to = to;
}

/** The index's search, limited to the account's own numbers for an agent. */
export function scopedSearch(ctx: PlayerContext, account: Account, filter: RecordingFilter): SearchResult {
  const { recordings } = ctx;
  if (seesAll(account)) return recordings.search(filter);
  const numbers = account.numbers.filter((n) => filter.internal === undefined || filter.internal === '' || matchesWildcard(filter.internal, n));
  if (numbers.length === 0) {
    recordings.search({ ...filter, limit: 1 }); // still validates the other filters: a bad value is a 400 for agents too
    return { total: 0, totalCapped: false, rows: [] };
  }
  if (numbers.length === 1) return recordings.search({ ...filter, internal: numbers[0]! });
  // Several numbers: one indexed search each, merged in the requested order.
  const limit = filter.limit ?? 100;
  const offset = filter.offset ?? 0;
  if (offset + limit > 10_000) throw new HttpError(400, 'offset: too deep for an account with several numbers (narrow the search)');
  const results = numbers.map((n) => recordings.search({ ...filter, internal: n, offset: 0, limit: offset + limit }));
  const newest = (filter.order ?? 'newest') === 'newest';
  const rows = results
    .flatMap((r) => r.rows)
    .sort((a, b) => {
      const byTime = a.start.getTime() - b.start.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
      return newest ? -byTime : byTime;
    });
  return { total: results.reduce((sum, r) => sum + r.total, 0), totalCapped: results.some((r) => r.totalCapped), rows: rows.slice(offset, offset + limit) };
}

export function searchRoutes(app: FastifyInstance, ctx: PlayerContext): void {
  resource(app, '/api/months', {
    GET: async (request) => {
      const account = sessionOf(request).account;
      const months = ctx.recordings.months().map(({ month, count }) => ({ month, ...(seesAll(account) ? { count } : {}), formats: ctx.recordings.formats(month) }));
      return { months };
    },
  });
  resource(app, '/api/recordings', {
    GET: async (request) => {
      const account = sessionOf(request).account;
      const url = new URL(request.url, 'http://player.invalid');
      const filter = searchFilter(url, account, ctx.recordings.timeZone);
      const result = scopedSearch(ctx, account, filter);
      // Who searched for what is audited (a search is an access to personal data); a further page of it is not.
      if (!filter.offset) {
        const query = Object.fromEntries([...url.searchParams].filter(([key, value]) => value !== '' && key !== 'limit' && key !== 'offset'));
        ctx.audit.write(account.name, 'search', { query, results: result.total });
      }
      return { total: result.total, totalCapped: result.totalCapped, offset: filter.offset ?? 0, limit: filter.limit, rows: result.rows.map(recordingJson) };
    },
  });
  resource(app, '/api/last-played', {
    GET: async (request) => {
      const account = sessionOf(request).account;
      const rows: Array<RecordingJson & { playedAt: string }> = [];
      for (const { callId, playedAt } of ctx.accounts.lastPlayed(account.name)) {
        for (const row of ctx.recordings.rowsOfCall(callId, account.name)) if (canSee(account, row)) rows.push({ ...recordingJson(row), playedAt: playedAt.toISOString() });
      }
      return { total: rows.length, rows };
    },
  });
}
