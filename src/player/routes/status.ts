// The service's status for supervisors (the reference's recorder panel: lamps, master alarm, channels in
// recording) and the master alarm's RESET / OFF / ON, passed to the running service through its work folder.
import type { FastifyInstance } from 'fastify';
import { ALARM_ACTIONS, queueAlarmCommand, readStatus } from '../../recorder/service/index.js';
import type { AlarmAction } from '../../recorder/service/index.js';
import type { PlayerContext } from '../context.js';
import { HttpError } from '../errors.js';
import { objectBody, resource, sessionOf } from '../http.js';

export function statusRoutes(app: FastifyInstance, ctx: PlayerContext): void {
  const supervisor = (request: Parameters<typeof sessionOf>[0]): string => {
    const { account } = sessionOf(request);
    if (account.role !== 'supervisor') throw new HttpError(403, "the service's status is for supervisors");
    return account.name;
  };
  resource(app, '/api/status', {
    GET: async (request) => {
      supervisor(request);
      if (ctx.statusDir === undefined) return { available: false, reason: 'this player is not given the service’s work folder' };
      const reading = await readStatus(ctx.statusDir);
      if (reading.kind === 'missing') return { available: false, reason: 'the recording service has not run with this configuration' };
      if (reading.kind === 'unreadable') return { available: false, reason: reading.reason };
      return { available: true, running: reading.running, ageMs: reading.ageMs, status: reading.status };
    },
  });
  resource(app, '/api/alarm', {
    POST: {
      body: objectBody({ action: { type: 'string', maxLength: 16 } }),
      handler: async (request, reply) => {
        const name = supervisor(request);
        const { action } = request.body as { action: string };
        if (!(ALARM_ACTIONS as readonly string[]).includes(action)) throw new HttpError(400, `action: one of ${ALARM_ACTIONS.join(', ')}`);
        if (ctx.statusDir === undefined) throw new HttpError(409, 'this player is not given the service’s work folder');
        await queueAlarmCommand(ctx.statusDir, action as AlarmAction, `player:${name}`);
        ctx.audit.write(name, 'alarm', { action });
        reply.code(202);
        return { queued: action };
      },
    },
  });
}
