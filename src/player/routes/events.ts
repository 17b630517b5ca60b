// The live view: one server-sent event stream per session (new recordings, changes, remote control).
import type { FastifyInstance } from 'fastify';
import type { PlayerContext } from '../context.js';
import { resource, sessionOf } from '../http.js';

export function eventRoutes(app: FastifyInstance, ctx: PlayerContext): void {
  resource(app, '/api/events', {
    GET: async (request, reply) => {
      const account = sessionOf(request).account;
      reply.hijack();
      ctx.hub.add(account, reply.raw);
    },
  });
}
