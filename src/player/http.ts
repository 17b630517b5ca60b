// What every route shares: security headers, JSON bodies, routes that answer 405 with Allow, the session.
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { Session } from './accounts.js';
import { HttpError } from './errors.js';

/** Largest JSON body accepted (notes are the biggest thing a client sends). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Headers every response carries: no inline script, no framing, no sniffing, no referrer leaks. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in session (every /api route but the login). */
    session: Session | null;
  }
}

/** The session of an authenticated route (the auth hook has set it). */
export function sessionOf(request: FastifyRequest): Session {
  if (!request.session) throw new HttpError(401, 'not logged in');
  return request.session;
}

/** A JSON object body: 415 unless application/json, 400 when not an object (the framework answers 413 and bad JSON). */
export function jsonBody(request: FastifyRequest): Record<string, unknown> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, 'expected Content-Type: application/json');
  const value = request.body;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'body: expected a JSON object');
  return value as Record<string, unknown>;
}

/** A string field of a JSON body, or a 400 naming it. */
export function stringField(body: Record<string, unknown>, field: string, maxLength: number): string {
  const value = body[field];
  if (typeof value !== 'string') throw new HttpError(400, `${field}: expected a string`);
  if (value.length > maxLength) throw new HttpError(400, `${field}: longer than ${maxLength} characters`);
  return value;
}

/** Content-Disposition for a download; the name is ASCII-only already, the UTF-8 form is given too. */
export function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown;
const EVERY_METHOD: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/** One path with its methods; any other method is 405 with the Allow header (the framework alone would say 404). */
export function resource(app: FastifyInstance, url: string, handlers: Partial<Record<'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE', Handler>>): void {
  const allow = Object.keys(handlers).join(', ');
  app.route({
    method: EVERY_METHOD,
    url,
    handler: (request, reply) => {
      const handler = handlers[request.method as keyof typeof handlers];
      if (!handler) throw new HttpError(405, 'method not allowed', { Allow: allow });
      return handler(request, reply);
    },
  });
}
