// The live view: one server-sent event stream per session (new recordings, changes, remote control).
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { PlayerContext } from '../context.js';
import { HttpError } from '../errors.js';
import { resource, sessionOf } from '../http.js';

/** A player name as remote control addresses it (TRAC!<player>!…): no blanks, no "!". */
export const PLAYER_NAME = /^[^\s!]{1,64}$/;

/** Whether a client address is this machine's (IPv4 or IPv6 loopback, also IPv4-mapped). */
export function isLoopback(address: string): boolean {
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  return plain === '::1' || (isIP(plain) === 4 && plain.startsWith('127.'));
}

export function eventRoutes(app: FastifyInstance, ctx: PlayerContext): void {
  resource(app, '/api/events', {
    GET: async (request, reply) => {
      const account = sessionOf(request).account;
      // ?player=NAME: the name this browser answers to for remote control (set at log-in or in the settings).
      const { player } = request.query as { player?: unknown };
      if (player !== undefined && (typeof player !== 'string' || !PLAYER_NAME.test(player))) {
        throw new HttpError(400, 'player: expected 1…64 characters without blanks or "!"');
      }
      reply.hijack();
      ctx.hub.add(account, reply.raw, { ...(typeof player === 'string' ? { player } : {}), local: isLoopback(request.ip) });
    },
  });
}
