// One recording: its details (call data, parsed call records, notes, what the user may change), deletion, notes,
// TAN, favourites and a fresh integrity check.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CryptoError } from '../../platform/crypto/index.js';
import { cdrSummary, parseStoredRecord } from '../../recorder/pbx/index.js';
import { NO_TAN } from '../../recordings/index.js';
import type { IndexedRecording, StoredRecording } from '../../recordings/index.js';
import type { Account } from '../accounts.js';
import { may, recordingJson, seesAll, visibleRecording } from '../access.js';
import type { PlayerContext } from '../context.js';
import { HttpError } from '../errors.js';
import { checkApproval } from './approvals.js';
import { objectBody, resource, sessionOf } from '../http.js';
import { fileStamp } from '../integrity.js';

export const MAX_NOTES_CHARS = 32_000;
/** Recordings whose parsed call records are kept for the details view. */
const MAX_PARSED_RECORDS = 1000;

/** The account and the recording a /api/recordings/:name… request names. */
export function namedRecording(ctx: PlayerContext, request: FastifyRequest): { account: Account; row: IndexedRecording } {
  const account = sessionOf(request).account;
  const name = (request.params as { name?: string }).name ?? '';
  return { account, row: visibleRecording(ctx.recordings, name, account) };
}

export function recordingRoutes(app: FastifyInstance, ctx: PlayerContext): void {
  const { recordings } = ctx;
  const notesLocked = (row: IndexedRecording): boolean => ctx.notesLockedByTan && row.tan !== undefined && row.tan !== NO_TAN;
  /** Call records of recently viewed recordings, parsed once per version of their sidecar (they never change after filing). */
  const parsedRecords = new Map<string, { stamp: string; records: unknown[] }>();
  const callRecords = async (stored: StoredRecording, fragments: readonly string[]): Promise<unknown[]> => {
    const stamp = await fileStamp(stored.xmlPath);
    const cached = parsedRecords.get(stored.name);
    if (cached?.stamp === stamp) return cached.records;
    const records: unknown[] = [];
    fragments.forEach((fragment, i) => {
      try {
        for (const { source: _xml, ...record } of parseStoredRecord(fragment, `cdr ${i + 1}`)) records.push({ ...record, summary: cdrSummary(record) });
      } catch (error) {
        records.push({ error: error instanceof Error ? error.message : String(error), xml: fragment });
      }
    });
    if (parsedRecords.size >= MAX_PARSED_RECORDS) parsedRecords.delete(parsedRecords.keys().next().value!);
    parsedRecords.set(stored.name, { stamp, records });
    return records;
  };

  resource(app, '/api/recordings/:name', {
    GET: async (request) => {
      const { account, row } = namedRecording(ctx, request);
      const stored = await recordings.files(row.name);
      let sidecar: Record<string, unknown> | undefined;
      let sidecarError: string | undefined;
      const cdrs: unknown[] = [];
      try {
        const read = await recordings.readSidecar(stored);
        if (read) {
          const { meta, audio, signature, cdr } = read.sidecar;
          sidecar = { call: meta, audio, signed: signature !== undefined, encrypted: read.encrypted };
          cdrs.push(...(await callRecords(stored, cdr)));
        }
      } catch (error) {
        sidecarError = error instanceof CryptoError ? `the call data cannot be read: ${error.code}` : 'the call data cannot be read';
      }
      const locked = notesLocked(row);
      return {
        recording: recordingJson(row),
        ...(sidecar ? { sidecar } : {}),
        ...(sidecarError ? { sidecarError } : {}),
        cdr: cdrs,
        notes: row.hasNotes ? await recordings.readNotes(row.name) : '',
        notesLocked: locked,
        may: { tan: may(account, 'tan'), notes: may(account, 'notes') && !locked, export: may(account, 'export'), delete: may(account, 'delete'), erase: seesAll(account) && may(account, 'delete') },
      };
    },
    DELETE: async (request, reply) => {
      const { account, row } = namedRecording(ctx, request);
      if (!may(account, 'delete')) throw new HttpError(403, 'this account may not delete recordings');
      await recordings.remove(row.name);
      ctx.audit.write(account.name, 'delete', { recording: row.name });
      reply.code(204).header('Cache-Control', 'no-store').send();
    },
  });

  // Erasure on a data subject's request: supervisors with the delete permission, a reason required; refused under
  // a legal hold or a mandatory retention policy (409/403 from the store).
  resource(app, '/api/recordings/:name/erase', {
    POST: {
      body: { type: 'object', properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 }, approval: { type: 'string', maxLength: 40 } }, required: ['reason'], additionalProperties: false },
      handler: async (request) => {
        const { account, row } = namedRecording(ctx, request);
        if (!seesAll(account) || !may(account, 'delete')) throw new HttpError(403, 'erasure is for supervisors and compliance officers who may delete recordings');
        const { reason, approval } = request.body as { reason: string; approval?: string };
        if (reason.trim().length === 0) throw new HttpError(400, 'reason: the request this erasure answers is required');
        checkApproval(ctx, account, 'erase', [row.name], approval);
        const result = await recordings.erase(row.name, { by: account.name, reason });
        ctx.audit.write(account.name, 'erase', { recording: row.name, reason: reason.trim(), shreddedKeys: [...result.shreddedKeys], backupFiles: result.backupFiles.length });
        return result;
      },
    },
  });

  resource(app, '/api/recordings/:name/notes', {
    GET: async (request) => ({ text: await recordings.readNotes(namedRecording(ctx, request).row.name) }),
    PUT: {
      body: objectBody({ text: { type: 'string', maxLength: MAX_NOTES_CHARS } }),
      handler: async (request) => {
        const { account, row } = namedRecording(ctx, request);
        if (!may(account, 'notes')) throw new HttpError(403, 'this account may not write notes');
        if (notesLocked(row)) throw new HttpError(409, 'no notes possible: the recording has a TAN');
        const { text } = request.body as { text: string };
        const stored = await recordings.writeNotes(row.name, text);
        ctx.audit.write(account.name, 'notes', { recording: row.name, chars: text.length });
        return { text, hasNotes: stored.notesPath !== undefined };
      },
    },
  });

  resource(app, '/api/recordings/:name/tan', {
    PUT: {
      body: objectBody({ tan: { type: 'string', maxLength: 16 } }),
      handler: async (request) => {
        const { account, row } = namedRecording(ctx, request);
        if (!may(account, 'tan')) throw new HttpError(403, 'this account may not edit TANs');
        const { tan } = request.body as { tan: string };
        // A TAN can be changed, never removed: "000000" is how a recording is marked as having none.
        if (!/^[0-9]{6}$/.test(tan)) throw new HttpError(400, `tan: exactly 6 digits (${NO_TAN} = no TAN); a TAN cannot be removed`);
        const renamed = await recordings.updateTan(row.name, tan);
        if (renamed.name !== row.name) ctx.audit.write(account.name, 'tan', { recording: row.name, renamed: renamed.name, tan });
        return { name: renamed.name, recording: recordingJson(recordings.row(renamed.name, account.name)!) };
      },
    },
  });

  resource(app, '/api/recordings/:name/favourite', {
    PUT: {
      body: objectBody({ scope: { type: 'string', enum: ['global', 'mine'] }, on: { type: 'boolean' } }),
      handler: async (request) => {
        const { account, row } = namedRecording(ctx, request);
        const { scope, on } = request.body as { scope: 'global' | 'mine'; on: boolean };
        await recordings.setFavourite(row.name, on, scope === 'global' ? '' : account.name);
        return { recording: recordingJson(recordings.row(row.name, account.name)!) };
      },
    },
  });

  resource(app, '/api/recordings/:name/verify', {
    POST: async (request) => {
      const { account, row } = namedRecording(ctx, request);
      const integrity = await recordings.checkIntegrity(row.name);
      ctx.audit.write(account.name, 'verify', { recording: row.name, integrity });
      return { integrity, recording: recordingJson(recordings.row(row.name, account.name)!) };
    },
  });
}
