// Legal holds for supervisors: list them, place one on a recording, an agent or a period (a reason required), and
// release one (a reason required; with four-eyes, by someone else than who placed it). Each is in the audit trail.
import type { FastifyInstance } from 'fastify';
import { StoreError, parseRecordingName } from '../../recordings/index.js';
import type { HoldScope } from '../../recordings/index.js';
import { overseerName } from '../access.js';
import type { PlayerContext } from '../context.js';
import { HttpError } from '../errors.js';
import { resource, sessionOf } from '../http.js';
import type { JsonSchema } from '../http.js';

const PLACE_BODY: JsonSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['recording', 'agent', 'period'] },
    recording: { type: 'string', minLength: 1, maxLength: 300 },
    agent: { type: 'string', minLength: 1, maxLength: 48 },
    from: { type: 'string', minLength: 1, maxLength: 16 },
    to: { type: 'string', minLength: 1, maxLength: 16 },
    reason: { type: 'string', minLength: 1, maxLength: 1000 },
  },
  required: ['kind', 'reason'],
  additionalProperties: false,
};

interface PlaceBody {
  kind: HoldScope['kind'];
  recording?: string;
  agent?: string;
  from?: string;
  to?: string;
  reason: string;
}

function supervisor(request: Parameters<typeof sessionOf>[0]): string {
  return overseerName(sessionOf(request).account, 'legal holds are for supervisors and compliance officers');
}

/** A store refusal as the client should hear it (the hold's own words, not "no such recording"). */
function holdError(error: unknown): never {
  if (error instanceof StoreError) {
    const status = error.code === 'not-found' ? 404 : error.code === 'conflict' ? 409 : error.code === 'forbidden' ? 403 : error.code === 'bad-input' ? 400 : undefined;
    if (status !== undefined) throw new HttpError(status, error.message);
  }
  throw error;
}

export function holdRoutes(app: FastifyInstance, ctx: PlayerContext): void {
  resource(app, '/api/holds', {
    GET: async (request) => {
      supervisor(request);
      return { holds: (await ctx.recordings.holds.list()).reverse() };
    },
    POST: {
      body: PLACE_BODY,
      handler: async (request, reply) => {
        const name = supervisor(request);
        const body = request.body as PlaceBody;
        let scope: HoldScope;
        if (body.kind === 'recording') {
          if (body.recording === undefined) throw new HttpError(400, 'recording: name the recording to hold');
          const row = ctx.recordings.row(body.recording);
          if (!row) throw new HttpError(404, 'no such recording');
          scope = { kind: 'recording', callId: parseRecordingName(row.name).callId, recording: row.name };
        } else if (body.kind === 'agent') {
          if (body.agent === undefined) throw new HttpError(400, 'agent: give the agent\'s number');
          scope = { kind: 'agent', agent: body.agent };
        } else {
          if (body.from === undefined || body.to === undefined) throw new HttpError(400, `${body.from === undefined ? 'from' : 'to'}: give the period as YYYY-MM-DD HH:MM`);
          scope = { kind: 'period', from: body.from, to: body.to };
        }
        const hold = await ctx.recordings.holds.place(scope, body.reason, name).catch(holdError);
        ctx.audit.write(name, 'hold-place', { hold: hold.id, ...scope, reason: hold.reason });
        reply.code(201);
        return hold;
      },
    },
  });
  resource(app, '/api/holds/:name/release', {
    POST: {
      body: { type: 'object', properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 } }, required: ['reason'], additionalProperties: false },
      handler: async (request) => {
        const name = supervisor(request);
        const id = (request.params as { name: string }).name;
        const hold = await ctx.recordings.holds.release(id, (request.body as { reason: string }).reason, name).catch(holdError);
        ctx.audit.write(name, 'hold-release', { hold: hold.id, reason: hold.released!.reason, placedBy: hold.placedBy });
        return hold;
      },
    },
  });
}
