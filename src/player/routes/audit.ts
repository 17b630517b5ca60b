// The audit trail for supervisors: who played, exported, changed or deleted what, filtered and paged, as JSON or
// CSV; and the trail's own check (chain and checkpoints), itself written to the trail.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { readAuditEntries, verifyAuditTrail } from '../../platform/audit/index.js';
import type { AuditQuery } from '../../platform/audit/index.js';
import { basename } from 'node:path';
import { ReconcileError } from '../../recorder/reconcile/index.js';
import { ReportingUnavailableError } from '../../recorder/pbx/index.js';
import { overseerName } from '../access.js';
import type { PlayerContext } from '../context.js';
import { HttpError } from '../errors.js';
import { attachment, resource, sessionOf } from '../http.js';

/** Most entries in one JSON page; a CSV export takes up to MAX_AUDIT_EXPORT. */
export const MAX_AUDIT_PAGE = 1000;
export const MAX_AUDIT_EXPORT = 100_000;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z?)?$/;

function supervisorName(request: FastifyRequest): string {
  return overseerName(sessionOf(request).account, 'the audit trail is for supervisors and compliance officers');
}

/** The query's filters, each checked and named when wrong. */
function auditQuery(url: URL, csv: boolean): AuditQuery {
  const text = (name: string, max: number): string | undefined => {
    const value = url.searchParams.get(name);
    if (value === null || value === '') return undefined;
    if (value.length > max) throw new HttpError(400, `${name}: at most ${max} characters`);
    return value;
  };
  const time = (name: string): string | undefined => {
    const value = text(name, 30);
    if (value !== undefined && !ISO_TIME.test(value)) throw new HttpError(400, `${name}: expected an ISO time (2026-12-04 or 2026-12-04T09:30:00Z), got ${JSON.stringify(value)}`);
    return value;
  };
  const count = (name: string, fallback: number, max: number): number => {
    const value = text(name, 7);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0 || n > max) throw new HttpError(400, `${name}: expected a whole number 0–${max}, got ${JSON.stringify(value)}`);
    return n;
  };
  const user = text('user', 64);
  const action = text('action', 32);
  const recording = text('recording', 300);
  const from = time('from');
  const to = time('to');
  return {
    ...(user !== undefined ? { user } : {}),
    ...(action !== undefined ? { action } : {}),
    ...(recording !== undefined ? { recording } : {}),
    ...(from !== undefined ? { from } : {}),
    // A day alone means the whole of it.
    ...(to !== undefined ? { to: to.length === 10 ? `${to}T23:59:59.999Z` : to } : {}),
    offset: count('offset', 0, 10_000_000),
    limit: csv ? count('limit', MAX_AUDIT_EXPORT, MAX_AUDIT_EXPORT) : count('limit', 100, MAX_AUDIT_PAGE),
  };
}

/** Which trail a request means: the player's own (default) or the recording service's. */
function trailPath(ctx: PlayerContext, which: string | null): string {
  if (which === null || which === '' || which === 'player') {
    if (ctx.audit.path === undefined) throw new HttpError(409, 'this player keeps no audit trail');
    return ctx.audit.path;
  }
  if (which !== 'service') throw new HttpError(400, `trail: expected "player" or "service", got ${JSON.stringify(which.slice(0, 40))}`);
  if (ctx.serviceTrailPath === undefined) throw new HttpError(409, "this player was not given the recording service's trail");
  return ctx.serviceTrailPath;
}

const CALL_COLUMNS = ['start', 'end', 'conf', 'agents', 'external', 'verdict', 'problem', 'cause', 'recordings', 'reason'];

export function auditRoutes(app: FastifyInstance, ctx: PlayerContext): void {
  resource(app, '/api/audit', {
    GET: async (request, reply) => {
      supervisorName(request);
      const url = new URL(request.url, 'http://player.invalid');
      const path = trailPath(ctx, url.searchParams.get('trail'));
      const csv = url.searchParams.get('format') === 'csv';
      const { total, entries } = await readAuditEntries(path, auditQuery(url, csv));
      if (!csv) return { total, entries };
      const rows = entries.map((entry) => {
        const { recording: _recording, ...rest } = entry.detail;
        return [entry.seq, entry.at, entry.user, entry.action, entry.recording ?? (Array.isArray(rest.recordings) ? rest.recordings.join(' ') : ''), Object.keys(rest).length > 0 ? JSON.stringify(rest) : ''];
      });
      reply.header('Content-Type', 'text/csv; charset=utf-8');
      reply.header('Content-Disposition', attachment('audit-trail.csv'));
      return stringify(rows, { header: true, columns: ['seq', 'time', 'user', 'action', 'recording', 'detail'] });
    },
  });
  resource(app, '/api/audit/verify', {
    POST: async (request) => {
      const name = supervisorName(request);
      const which = new URL(request.url, 'http://player.invalid').searchParams.get('trail');
      const path = trailPath(ctx, which);
      const result = await verifyAuditTrail(path, ctx.keyring);
      ctx.audit.write(name, 'audit-verify', { trail: which === 'service' ? 'service' : 'player', entries: result.entries, problems: result.problems.length });
      return { ...result, path: basename(result.path) };
    },
  });
  // Completeness of a period: every call of a recorded user matched to its recording or a logged reason.
  resource(app, '/api/reconcile', {
    GET: async (request, reply) => {
      const name = supervisorName(request);
      if (ctx.reconcile === undefined) throw new HttpError(409, 'this player cannot reconcile: it was started without the service configuration');
      const url = new URL(request.url, 'http://player.invalid');
      const param = (key: string): string => {
        const value = url.searchParams.get(key);
        if (value === null || value === '') throw new HttpError(400, `${key}: missing (a day, 2026-12-04, or a time)`);
        if (value.length > 40) throw new HttpError(400, `${key}: at most 40 characters`);
        return value;
      };
      const from = param('from');
      const to = param('to');
      let report;
      try {
        report = await ctx.reconcile(from, to);
      } catch (error) {
        if (error instanceof ReconcileError) throw new HttpError(400, error.message);
        if (error instanceof ReportingUnavailableError) throw new HttpError(502, error.message);
        throw error;
      }
      ctx.audit.write(name, 'reconcile', { from: report.from, to: report.to, calls: report.calls.length, problems: report.problems });
      if (url.searchParams.get('format') !== 'csv') return report;
      const rows = report.calls.map((call) => [call.start, call.end, call.conf, call.agents.join(' '), call.external ?? '', call.verdict, call.problem ? 'yes' : '', call.cause ?? '', call.recordings.join(' '), call.reason ?? '']);
      reply.header('Content-Type', 'text/csv; charset=utf-8');
      reply.header('Content-Disposition', attachment(`completeness-${from.slice(0, 10)}-${to.slice(0, 10)}.csv`));
      return stringify(rows, { header: true, columns: CALL_COLUMNS });
    },
  });
}
