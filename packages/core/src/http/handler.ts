/**
 * The framework-neutral core of the HTTP API. A binding (fetch, Express, Koa) turns its request
 * into a `VaultRequest` and writes back the `VaultResponse`; everything else — credentials, rate
 * limits, routing, body limits, validation, the vault call, error mapping — happens here, once.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { type Clock, systemClock } from '../domain/clock';
import { actorOf, type Principal } from '../domain/principals';
import { AgentVaultAuthError, AgentVaultRateLimitError, type ValidationIssue } from '../errors';
import type { CallOptions } from '../schemas/secrets';
import type { Vault } from '../vault/create-vault';
import type { Logger } from '../vault/runtime';
import { DEFAULT_BODY_LIMIT_BYTES, parseJsonBody } from './body';
import { clientIp, type TrustProxy } from './client-ip';
import { errorResponse, HttpError } from './errors';
import { openApiDocument } from './openapi';
import { memoryRateLimiter } from './rate-limit/memory';
import type { RateLimitDecision, RateLimiter } from './rate-limit/token-bucket';
import { compileTemplate, decodeParam, matchTemplate, splitPath, type Template } from './router';
import { type Route, routes } from './routes';

export interface VaultHandlerOptions<Native = unknown> {
  /**
   * Map a request to a principal the host authenticated itself (a session cookie, SSO), or return
   * null to fall back to the `Authorization: Bearer` credential. Receives the binding's own
   * request: a fetch `Request`, an Express `req`, a Koa `ctx`.
   */
  authenticate?: (
    request: Native,
    info: { ip: string | null },
  ) => Principal | null | undefined | Promise<Principal | null | undefined>;
  /** Honour `X-Forwarded-For` from this many trusted proxies (`true` = 1). Default false: the socket address. */
  trustProxy?: TrustProxy;
  /** Largest request body in bytes (413 past it). Default 1 MiB. */
  bodyLimitBytes?: number;
  /** Per-credential limits. Default: in memory, 1,000 requests per 60 s. `false` turns limits (and their headers) off. */
  rateLimiter?: RateLimiter | false;
  /** When the limiter itself fails (Redis down): let requests through (default) or answer 503. */
  rateLimiterFailure?: 'allow' | 'deny';
  /** The `approve_url` of a 202 (e.g. your dashboard). Default: this API's `GET /approvals/{id}`. */
  approveUrl?: (approvalId: string) => string;
  /** `Retry-After` seconds for a 503. Default 1. */
  unavailableRetryAfterSeconds?: number;
  /** Where internal failures are reported (never with a value or a credential). Default console. */
  logger?: Logger;
  /** Clock of the rate limiter. */
  clock?: Clock;
}

export interface VaultRequest<Native = unknown> {
  method: string;
  /** Path and query relative to the mount point, as sent (still percent-encoded): `/secrets/a%2Fb?version=2`. */
  target: string;
  /** A request header by lower-case name. */
  header(name: string): string | undefined;
  /** The body, up to `limit` bytes; rejects with a 413 HttpError past it. */
  readBody(limit: number): Promise<Uint8Array>;
  /** The peer address of the connection. */
  socketIp: string | null;
  /** The request is outside the mount point: answered 404 (after rate limiting, so it carries the headers). */
  unmounted?: boolean;
  /** A failure the framework met before the handler (e.g. its body parser): answered in our shape, after rate limiting. */
  refusal?: unknown;
  /** The mount point as the client sees it (`/v1`), for the OpenAPI server URL. */
  mountPath: string;
  /** `scheme://host` as the client sees it, for links. */
  origin(): string;
  native: Native;
}

export interface VaultResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON text, or null for 204. */
  body: string | null;
}

export type VaultRequestHandler<Native = unknown> = (request: VaultRequest<Native>) => Promise<VaultResponse>;

interface CompiledRoute {
  route: Route;
  template: Template;
  /** What the query schema makes of no query at all (most requests), parsed once. */
  emptyQuery: unknown;
}

const MAX_CREDENTIAL_LENGTH = 512;
const MAX_USER_AGENT_LENGTH = 512;

const consoleLogger: Logger = {
  warn: (message, fields) => console.warn(`[agentvault:http] ${message}`, fields ?? ''),
  error: (message, fields) => console.error(`[agentvault:http] ${message}`, fields ?? ''),
};

/** A bucket name for a credential: its SHA-256, so no credential is ever kept as a key. */
const hash = (text: string): string => createHash('sha256').update(text).digest('base64url').slice(0, 32);

function bearerOf(authorization: string | undefined): string | null {
  if (authorization === undefined) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  if (!match || match[1]!.length > MAX_CREDENTIAL_LENGTH)
    throw new AgentVaultAuthError('Send the credential as Authorization: Bearer <agent key or scoped token>');
  return match[1]!;
}

/** Zod's issues, with an unknown field reported at its own path rather than at its object's. */
function issuesOf(error: z.ZodError): ValidationIssue[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key));
    return issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: [...path, key], message: 'unknown field' }))
      : [{ path, message: issue.message }];
  });
}

function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success)
    throw new HttpError(422, 'validation_error', `Invalid ${what}`, issuesOf(result.error));
  return result.data;
}

/** Query text as an object: a key given once is a string, a repeated key an array of strings. */
function queryObject(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (text === '') return out;
  for (const [key, value] of new URLSearchParams(text)) {
    const seen = out[key];
    if (seen === undefined) out[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[key] = [seen, value];
  }
  return out;
}

function unknownRoute(method: string, segments: string[]): HttpError {
  const hint =
    segments[0] === 'secrets' && segments.length > 2
      ? '. Secret paths are URL-encoded as one segment: /secrets/production%2Fopenai%2Fapi-key'
      : '';
  return new HttpError(404, 'not_found', `No route for ${method} /${segments.join('/')}${hint}`);
}

/** Build the request handler every binding shares. */
export function createRequestHandler<Native>(
  vault: Vault,
  options: VaultHandlerOptions<Native> = {},
): VaultRequestHandler<Native> {
  if (!vault || typeof vault.getSecret !== 'function')
    throw new TypeError('createVaultHandler: `vault` (from createVault) is required');
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit <= 0)
    throw new TypeError('createVaultHandler: `bodyLimitBytes` must be a positive integer');
  const limiter = options.rateLimiter === false ? null : (options.rateLimiter ?? memoryRateLimiter());
  const trustProxy = options.trustProxy ?? false;
  const logger = options.logger ?? consoleLogger;
  const clock = options.clock ?? systemClock;
  const errorOptions = { logger, unavailableRetryAfterSeconds: options.unavailableRetryAfterSeconds ?? 1 };
  const compiled: CompiledRoute[] = routes.map((route) => ({
    route,
    template: compileTemplate(route.path),
    emptyQuery: route.query?.parse({}),
  }));
  const documents = new Map<string, string>();

  function openApiText(mountPath: string): string {
    let text = documents.get(mountPath);
    if (text === undefined) {
      text = JSON.stringify(openApiDocument(routes, { serverUrl: mountPath }));
      if (documents.size < 16) documents.set(mountPath, text);
    }
    return text;
  }

  async function rateLimit(key: string): Promise<RateLimitDecision | null> {
    if (!limiter) return null;
    try {
      return await limiter.take(key, clock.now());
    } catch (error) {
      if (options.rateLimiterFailure === 'deny') throw error;
      logger.error('rate limiter failed; request let through', {
        error: error instanceof Error ? error.message : String(error),
      });
      return null;
    }
  }

  return async function handle(request: VaultRequest<Native>): Promise<VaultResponse> {
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    };
    try {
      const ip = clientIp(request.socketIp, request.header('x-forwarded-for'), trustProxy);
      // Who is calling. A failure here is answered after the rate limit, so it carries the headers.
      let principal: Principal | null = null;
      let bearer: string | null = null;
      let credentialError: unknown;
      const authorization = request.header('authorization');
      try {
        principal = (options.authenticate && (await options.authenticate(request.native, { ip }))) || null;
        if (!principal) bearer = bearerOf(authorization);
      } catch (error) {
        credentialError = error;
      }

      // The bucket: the host's principal, else the credential (or a malformed header) by hash, else the address.
      const credential = bearer ?? authorization;
      const decision = await rateLimit(
        principal
          ? `p:${hash(`${principal.tenant}\u0000${actorOf(principal)}`)}`
          : credential
            ? `c:${hash(credential)}`
            : `ip:${ip ?? 'unknown'}`,
      );
      if (decision) {
        headers['x-ratelimit-limit'] = String(decision.limit);
        headers['x-ratelimit-remaining'] = String(decision.remaining);
        headers['x-ratelimit-reset'] = String(decision.reset);
        if (!decision.allowed)
          throw new AgentVaultRateLimitError('Too many requests; retry later', decision.retryAfter);
      }
      if (credentialError !== undefined) throw credentialError;
      if (request.refusal !== undefined) throw request.refusal;

      const queryAt = request.target.indexOf('?');
      const pathname = queryAt === -1 ? request.target : request.target.slice(0, queryAt);
      const queryText = queryAt === -1 ? '' : request.target.slice(queryAt + 1);
      const segments = splitPath(pathname);
      const method = request.method.toUpperCase();

      if (request.unmounted) throw unknownRoute(method, segments);
      if (method === 'GET' && segments.length === 1 && segments[0] === 'openapi.json')
        return { status: 200, headers, body: openApiText(request.mountPath) };

      let found: CompiledRoute | undefined;
      let rawParams: string[] | null = null;
      for (const candidate of compiled) {
        if (candidate.route.method !== method) continue;
        rawParams = matchTemplate(candidate.template, segments);
        if (rawParams) {
          found = candidate;
          break;
        }
      }
      if (!found || !rawParams) throw unknownRoute(method, segments);
      const { route, template, emptyQuery } = found;

      if (!principal && !bearer) {
        throw new AgentVaultAuthError(
          'Missing credential: send Authorization: Bearer <agent key or scoped token>',
        );
      }

      let params: unknown;
      if (route.params) {
        const raw: Record<string, string> = {};
        template.params.forEach((name, i) => {
          raw[name] = decodeParam(rawParams![i]!);
        });
        params = parseWith(route.params, raw, 'path parameters');
      }
      const query =
        route.query && queryText !== ''
          ? parseWith(route.query, queryObject(queryText), 'query')
          : emptyQuery;
      let body: unknown;
      if (route.body) {
        const bytes = await request.readBody(bodyLimit);
        body = parseWith(route.body, parseJsonBody(bytes, request.header('content-type')), 'request body');
      }

      const userAgent = request.header('user-agent')?.slice(0, MAX_USER_AGENT_LENGTH);
      const call: CallOptions = principal ? { principal } : { token: bearer! };
      if (ip !== null) call.ip = ip;
      if (userAgent) call.userAgent = userAgent;

      const result = await route.run({
        params,
        query,
        body,
        vault,
        call,
        approveUrl: (id) =>
          options.approveUrl?.(id)
          ?? `${request.origin()}${request.mountPath}/approvals/${encodeURIComponent(id)}`,
      });
      if (result.body === undefined) {
        delete headers['content-type'];
        return { status: result.status, headers, body: null };
      }
      return { status: result.status, headers, body: JSON.stringify(result.body) };
    } catch (error) {
      const mapped = errorResponse(error, errorOptions);
      if (mapped.retryAfter !== undefined) headers['retry-after'] = String(mapped.retryAfter);
      if (mapped.status === 401) headers['www-authenticate'] = 'Bearer realm="agentvault"';
      if (mapped.status === 413) headers.connection = 'close';
      return { status: mapped.status, headers, body: JSON.stringify(mapped.body) };
    }
  };
}
