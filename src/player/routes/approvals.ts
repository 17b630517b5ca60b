// Four-eyes approvals in the player: ask (with a reason) for an export or an erasure of named recordings; another
// supervisor or compliance officer approves or refuses; the asker then does it once with `approval=ID`. Each step
// is in the audit trail. Where the site does not ask for four-eyes, exports and erasures need none.
import type { FastifyInstance } from 'fastify';
import { overseerName, seesAll, visibleRecording } from '../access.js';
import type { Account } from '../accounts.js';
import { FOUR_EYES_ACTIONS } from '../approvals.js';
import type { FourEyesAction } from '../approvals.js';
import type { PlayerContext } from '../context.js';
import { AccountError, HttpError } from '../errors.js';
import { resource, sessionOf } from '../http.js';

/**
 * Where the site asks for four-eyes on `action`: the approval given must count for these recordings and this
 * person (403 naming why not); it is spent then, and audited.
 */
export function checkApproval(ctx: PlayerContext, account: Account, action: FourEyesAction, recordings: readonly string[], approval: string | undefined): void {
  if (!ctx.fourEyes.has(action)) return;
  if (approval === undefined || approval === '') throw new HttpError(403, `${action} needs a second person's approval here: ask for it (POST /api/approvals) and give approval=ID`);
  try {
    ctx.approvals.use(approval, action, recordings, account.name);
  } catch (error) {
    if (error instanceof AccountError) throw new HttpError(403, error.message);
    throw error;
  }
  ctx.audit.write(account.name, 'approval-use', { approval, action, recordings: [...recordings] });
}

export function approvalRoutes(app: FastifyInstance, ctx: PlayerContext): void {
  resource(app, '/api/approvals', {
    GET: async (request) => {
      const { account } = sessionOf(request);
      return { fourEyes: [...ctx.fourEyes], approvals: ctx.approvals.list(seesAll(account) ? undefined : account.name) };
    },
    POST: {
      body: {
        type: 'object',
        properties: {
          action: { type: 'string', enum: [...FOUR_EYES_ACTIONS] },
          recordings: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 300 } },
          reason: { type: 'string', minLength: 1, maxLength: 1000 },
        },
        required: ['action', 'recordings', 'reason'],
        additionalProperties: false,
      },
      handler: async (request, reply) => {
        const { account } = sessionOf(request);
        const body = request.body as { action: FourEyesAction; recordings: string[]; reason: string };
        // Only what the asker could do without four-eyes may be asked for, on recordings they can see.
        for (const name of body.recordings) visibleRecording(ctx.recordings, name, account);
        if (body.action === 'export' && !account.permissions.includes('export')) throw new HttpError(403, 'this account may not export');
        if (body.action === 'erase' && !(seesAll(account) && account.permissions.includes('delete'))) throw new HttpError(403, 'erasure is for supervisors and compliance officers who may delete recordings');
        let approval;
        try {
          approval = ctx.approvals.request(body.action, body.recordings, body.reason, account.name);
        } catch (error) {
          if (error instanceof AccountError) throw new HttpError(400, error.message);
          throw error;
        }
        ctx.audit.write(account.name, 'approval-request', { approval: approval.id, action: approval.action, recordings: [...approval.recordings], reason: approval.reason });
        reply.code(201);
        return approval;
      },
    },
  });
  for (const decision of ['approve', 'refuse'] as const) {
    resource(app, `/api/approvals/:name/${decision}`, {
      POST: async (request) => {
        const name = overseerName(sessionOf(request).account, 'approvals are decided by supervisors and compliance officers');
        const id = (request.params as { name: string }).name;
        let approval;
        try {
          approval = ctx.approvals.decide(id, decision === 'approve' ? 'approved' : 'refused', name);
        } catch (error) {
          if (error instanceof AccountError) throw new HttpError(error.message.includes('no such request') ? 404 : 409, error.message);
          throw error;
        }
        ctx.audit.write(name, `approval-${decision}`, { approval: id, action: approval.action, requestedBy: approval.requestedBy, recordings: [...approval.recordings] });
        return approval;
      },
    });
  }
}
