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

/** Content-Disposition for a download; the name is ASCII-only already, the UTF-8 form is given too. */
export function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown;
type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
/** A method's handler, alone or with the JSON schema of its request body. */
type Endpoint = Handler | { readonly body: JsonSchema; readonly handler: Handler };
export type JsonSchema = Readonly<Record<string, unknown>>;
const EVERY_METHOD: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/** A JSON object body with these string/boolean fields, all required; nothing else is kept. */
export function objectBody(properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
}

/**
 * One path with its methods, each with the schema of its body and of the path's parameters (a recording name is
 * 1–300 characters); any other method is 405 with the Allow header (the framework alone would say 404).
 */
export function resource(app: FastifyInstance, url: string, endpoints: Partial<Record<Method, Endpoint>>): void {
  const methods = Object.keys(endpoints) as Method[];
  const params = url.includes(':name') ? { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 300 } }, required: ['name'] } : undefined;
  for (const method of methods) {
    const endpoint = endpoints[method]!;
    const handler = typeof endpoint === 'function' ? endpoint : endpoint.handler;
    const body = typeof endpoint === 'function' ? undefined : endpoint.body;
    app.route({ method, url, ...(params || body ? { schema: { ...(params ? { params } : {}), ...(body ? { body } : {}) } } : {}), handler });
  }
  const allow = methods.join(', ');
  app.route({
    method: EVERY_METHOD.filter((method) => !(methods as string[]).includes(method)),
    url,
    handler: () => {
      throw new HttpError(405, 'method not allowed', { Allow: allow });
    },
  });
}
