// Log-in, log-out and the session: an HttpOnly SameSite=Strict cookie and the CSRF token every change must carry.
import { RECORDING_FORMATS } from '../../domain/index.js';
import type { FastifyInstance } from 'fastify';
import { SESSION_COOKIE, sessionJson } from '../context.js';
import type { PlayerContext } from '../context.js';
import { HttpError } from '../errors.js';
import { objectBody, resource, sessionOf } from '../http.js';
import type { JsonSchema } from '../http.js';
import type { PlayerPreferences } from '../accounts.js';

/** What a player may keep as its user's preferences: small, closed, every value bounded. */
export const PREFERENCES_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    volume: {
      type: 'object',
      additionalProperties: false,
      properties: { l: { type: 'integer', minimum: 0, maximum: 200 }, r: { type: 'integer', minimum: 0, maximum: 200 }, m: { type: 'integer', minimum: 0, maximum: 100 } },
    },
    filters: {
      type: 'object',
      additionalProperties: false,
      properties: {
        internal: { type: 'string', maxLength: 64 },
        external: { type: 'string', maxLength: 64 },
        direction: { enum: ['', 'in', 'out'] },
        format: { enum: ['', ...RECORDING_FORMATS] },
        online: { type: 'boolean' },
      },
    },
    view: { enum: ['search', 'live', 'last-played', 'global', 'mine'] },
    pageSize: { enum: [25, 50, 100, 200] },
  },
};

export function sessionRoutes(app: FastifyInstance, ctx: PlayerContext): void {
  resource(app, '/api/login', {
    POST: {
      body: objectBody({ user: { type: 'string', maxLength: 64 }, password: { type: 'string', maxLength: 1024 } }),
      handler: async (request, reply) => {
        const { user, password } = request.body as { user: string; password: string };
        const address = request.ip;
        // Counted before the password is checked: parallel guesses cannot all pass the limit while the checks run.
        const began = Date.now();
        const wait = ctx.limiter.begin(address, user, began);
        if (wait > 0) throw new HttpError(429, 'too many failed logins: try again later', { 'Retry-After': String(wait) });
        const account = await ctx.accounts.authenticate(user, password);
        if (!account) {
          ctx.audit.write(user, 'login-failed', { address });
          throw new HttpError(401, 'wrong user name or password');
        }
        ctx.limiter.succeed(user, address, began);
        const { token, csrfToken } = ctx.accounts.createSession(account.name);
        ctx.audit.write(account.name, 'login', { address });
        reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'strict', secure: ctx.secure(request) });
        return { ...sessionJson({ account, csrfToken }), reasonOnPlay: ctx.reasonOnPlay, fourEyes: [...ctx.fourEyes] };
      },
    },
  });
  resource(app, '/api/session', { GET: async (request) => ({ ...sessionJson(sessionOf(request)), reasonOnPlay: ctx.reasonOnPlay, fourEyes: [...ctx.fourEyes] }) });
  resource(app, '/api/preferences', {
    GET: async (request, reply) => {
      reply.header('Cache-Control', 'no-store');
      return ctx.accounts.preferences(sessionOf(request).account.name);
    },
    PUT: {
      body: PREFERENCES_SCHEMA,
      handler: async (request, reply) => {
        ctx.accounts.savePreferences(sessionOf(request).account.name, request.body as PlayerPreferences);
        reply.code(204).send();
      },
    },
  });
  resource(app, '/api/logout', {
    POST: async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) {
        if (request.session) ctx.audit.write(request.session.account.name, 'logout', {});
        ctx.accounts.endSession(token);
      }
      reply.setCookie(SESSION_COOKIE, '', { path: '/', httpOnly: true, sameSite: 'strict', secure: ctx.secure(request), maxAge: 0 });
      reply.code(204).header('Cache-Control', 'no-store').send();
    },
  });
}
