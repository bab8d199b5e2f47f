/**
 * The framework-neutral core of the HTTP API. A binding (fetch, Express, Koa) turns its request
 * into a `VaultRequest` and writes back the `VaultResponse`; everything else — credentials, rate
 * limits, routing, body limits, validation, the vault call, error mapping — happens here, once.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { type Clock, systemClock } from '../domain/clock';
import { actorOf, type Principal } from '../domain/principals';
import { escapeText } from '../domain/text';
import {
  AgentVaultAuthError,
  AgentVaultPermissionError,
  AgentVaultRateLimitError,
  type ValidationIssue,
} from '../errors';
import type { CallOptions } from '../schemas/secrets';
import type { Vault } from '../vault/create-vault';
import type { Logger } from '../vault/runtime';
import { addressGuard } from './address-guard';
import { DEFAULT_BODY_LIMIT_BYTES, parseJsonBody } from './body';
import { addressBucket, clientIp, type TrustProxy } from './client-ip';
import { errorResponse, HttpError } from './errors';
import { openApiDocument } from './openapi';
import { memoryRateLimiter } from './rate-limit/memory';
import type { RateLimitDecision, RateLimiter } from './rate-limit/token-bucket';
import { type RefusalAudit, type RefusalAuditOptions, refusalAudit } from './refusal-audit';
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
  /**
   * Limits per authenticated principal, and per client address for requests without a credential.
   * Default: in memory, 1,000 requests per 60 s. `false` turns limits (and their headers) off.
   * A credential's own bucket applies only once it has authenticated, so made-up credentials
   * create no buckets.
   */
  rateLimiter?: RateLimiter | false;
  /**
   * Failed authentications per client address (unknown, revoked, expired or malformed credentials).
   * Once an address has used its budget, its requests with a credential are refused (429) before
   * the credential is hashed or looked up. Default: in memory, 100 per 60 s; pass a
   * `redisRateLimiter` to share the budget between instances. `false` turns it off.
   */
  failedAuthLimiter?: RateLimiter | false;
  /**
   * Failed authentications and refusals raised before the vault (bad input, unknown routes, rate
   * limits) are audited in aggregate: one `auth.failed` / `request.refused` event per client
   * address and window, with counts by error code. `false` turns that audit off.
   */
  refusalAudit?: RefusalAuditOptions | false;
  /** When the limiter itself fails (Redis down): let requests through (default) or answer 503. */
  rateLimiterFailure?: 'allow' | 'deny';
  /**
   * The server's public base URL as people reach it (`https://vault.example.com`), configured and
   * never taken from the request's Host header. With it, a 202's `approve_url` is the console's page
   * for the request: `${publicUrl}${consolePath}/approvals/{id}`. Without it, `approve_url` is this
   * API's `GET /approvals/{id}` as a path without a host (`/v1/approvals/{id}`).
   */
  publicUrl?: string;
  /**
   * Where the console (`@agentvault/console`) is mounted under `publicUrl`. Default `/console`;
   * `false`: no console, link the API's JSON.
   */
  consolePath?: string | false;
  /** The `approve_url` of a 202, overriding `publicUrl` (e.g. your own dashboard). */
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
  /** The route's hand check of its path parameters, else its zod schema's parse. */
  params: ((raw: Record<string, string>) => unknown) | null;
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

const MAX_PRINCIPAL_KEYS = 10_000;

/**
 * Bucket names of principals, remembered: the same few principals call again and again, and a
 * map lookup is cheaper than a hash. Keyed by tenant and actor id, or a token tree's root (no
 * credential); bounded by starting over when full.
 */
function principalKeys(): (principal: Principal) => string {
  const known = new Map<string, string>();
  return (principal) => {
    // A token's bucket is its tree's root: children share it.
    const tree = principal.kind === 'token';
    const id = tree ? `t\u0000${principal.tenant}\u0000${principal.token.rootId}` : `${principal.tenant}\u0000${actorOf(principal)}`;
    let key = known.get(id);
    if (key === undefined) {
      if (known.size >= MAX_PRINCIPAL_KEYS) known.clear();
      key = `${tree ? 't' : 'p'}:${hash(id)}`;
      known.set(id, key);
    }
    return key;
  };
}

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

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

/** `publicUrl` checked once: an absolute http(s) URL, kept without a trailing slash. */
function publicBaseUrl(text: string | undefined): string | null {
  if (text === undefined) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError('createVaultHandler: `publicUrl` must be an absolute http(s) URL');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '')
    throw new TypeError('createVaultHandler: `publicUrl` must be an http(s) URL without query, fragment or credentials');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function normalizeMountPath(path: string): string {
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(path)) throw new TypeError('createVaultHandler: `consolePath` must be a path like /console');
  return path.replace(/\/+$/, '');
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
  const failureLimiter =
    options.failedAuthLimiter === false
      ? null
      : (options.failedAuthLimiter ?? memoryRateLimiter({ limit: 100, windowSeconds: 60, maxKeys: 10_000 }));
  const guard = addressGuard();
  const trustProxy = options.trustProxy ?? false;
  const logger = options.logger ?? consoleLogger;
  const clock = options.clock ?? systemClock;
  const errorOptions = { logger, unavailableRetryAfterSeconds: options.unavailableRetryAfterSeconds ?? 1 };
  const refusals: RefusalAudit | null =
    options.refusalAudit === false
      ? null
      : refusalAudit((batch) => vault.auditRefusals(batch), logger, options.refusalAudit ?? {});
  const compiled: CompiledRoute[] = routes.map((route) => {
    const schema = route.params;
    const check = route.checkParams;
    return {
      route,
      template: compileTemplate(route.path),
      params: schema
        ? (raw) => (check && check(raw)) ?? parseWith(schema, raw, 'path parameters')
        : null,
      emptyQuery: route.query?.parse({}),
    };
  });
  const principalKey = principalKeys();
  const documents = new Map<string, string>();
  const publicUrl = publicBaseUrl(options.publicUrl);
  const consolePath = options.consolePath === false ? false : normalizeMountPath(options.consolePath ?? '/console');
  const approveUrlOf = (mountPath: string, id: string): string => {
    const encoded = encodeURIComponent(id);
    if (options.approveUrl) return options.approveUrl(id);
    if (publicUrl === null) return `${mountPath}/approvals/${encoded}`;
    return consolePath === false
      ? `${publicUrl}${mountPath}/approvals/${encoded}`
      : `${publicUrl}${consolePath}/approvals/${encoded}`;
  };

  function openApiText(mountPath: string): string {
    let text = documents.get(mountPath);
    if (text === undefined) {
      text = JSON.stringify(openApiDocument(routes, { serverUrl: mountPath }));
      if (documents.size < 16) documents.set(mountPath, text);
    }
    return text;
  }

  function limiterFailed(error: unknown): null {
    if (options.rateLimiterFailure === 'deny') throw error;
    logger.error('rate limiter failed; request let through', {
      error: error instanceof Error ? error.message : String(error),
    });
    return null;
  }

  /** The limiter's decision; synchronous when the limiter is (the in-memory one), to spare a tick. */
  function rateLimit(
    limiter: RateLimiter | null,
    key: string,
  ): RateLimitDecision | null | Promise<RateLimitDecision | null> {
    if (!limiter) return null;
    let taken: RateLimitDecision | Promise<RateLimitDecision>;
    try {
      taken = limiter.take(key, clock.now());
    } catch (error) {
      return limiterFailed(error);
    }
    return isPromise(taken) ? taken.then(undefined, limiterFailed) : taken;
  }

  return async function handle(request: VaultRequest<Native>): Promise<VaultResponse> {
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    };
    let ip: string | null = null;
    let principal: Principal | null = null;
    // Refusals before the vault call are audited here, in aggregate; the vault audits its own.
    let beforeVault = true;
    let failedAuth = false;
    const setLimitHeaders = (decision: RateLimitDecision | null) => {
      if (!decision) return;
      headers['x-ratelimit-limit'] = String(decision.limit);
      headers['x-ratelimit-remaining'] = String(decision.remaining);
      headers['x-ratelimit-reset'] = String(decision.reset);
      if (!decision.allowed)
        throw new AgentVaultRateLimitError('Too many requests; retry later', decision.retryAfter);
    };
    /** Spend one of the address's failed-authentication budget; an empty budget blocks the address. */
    const chargeFailure = async (address: string) => {
      const decision = await rateLimit(failureLimiter, `f:${address}`);
      if (decision && !decision.allowed) guard.block(address, decision, clock.now());
      return decision;
    };
    try {
      ip = clientIp(request.socketIp, request.header('x-forwarded-for'), trustProxy);
      const address = addressBucket(ip);
      refusals?.flushDue(clock.now());
      // Who is calling. A failure here is answered after the rate limit, so it carries the headers.
      let bearer: string | null = null;
      let credentialError: unknown;
      let refusedToken: string | null = null;
      const authorization = request.header('authorization');
      try {
        principal = (options.authenticate && (await options.authenticate(request.native, { ip }))) || null;
        if (!principal) bearer = bearerOf(authorization);
      } catch (error) {
        credentialError = error;
      }
      if (bearer !== null) {
        // An address out of failed-authentication budget: refused before any hashing or lookup.
        const blocked = guard.blocked(address, clock.now());
        if (blocked) setLimitHeaders(blocked);
        try {
          principal = await vault.resolveCredential(bearer, { ip });
        } catch (error) {
          if (error instanceof AgentVaultAuthError) credentialError = error;
          // A known token used from outside its allowlist: the vault refuses (and audits) it in the call.
          else if (error instanceof AgentVaultPermissionError) refusedToken = bearer;
          else throw error;
        }
      }

      if (credentialError !== undefined || refusedToken !== null) {
        failedAuth = credentialError !== undefined;
        const decision = await chargeFailure(address);
        if (failedAuth) setLimitHeaders(decision);
        else if (decision) setLimitHeaders({ ...decision, allowed: true });
        if (failedAuth) throw credentialError;
      }
      // The bucket: an authenticated token's tree (children share their root's), another authenticated
      // principal's own, a token refused by its allowlist by hash, else (no credential at all) the address's.
      let decision = rateLimit(
        limiter,
        principal ? principalKey(principal) : refusedToken !== null ? `c:${hash(refusedToken)}` : `ip:${address}`,
      );
      if (isPromise(decision)) decision = await decision;
      setLimitHeaders(decision);
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

      if (!principal && refusedToken === null) {
        throw new AgentVaultAuthError(
          'Missing credential: send Authorization: Bearer <agent key or scoped token>',
        );
      }

      let params: unknown;
      if (found.params) {
        const raw: Record<string, string> = {};
        for (let i = 0; i < template.params.length; i++) raw[template.params[i]!] = decodeParam(rawParams[i]!);
        params = found.params(raw);
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

      // Header bytes 0x80–0xFF arrive as C1 controls: stored escaped, so no printer of the trail meets one.
      const rawUserAgent = request.header('user-agent');
      const userAgent = rawUserAgent && escapeText(rawUserAgent).slice(0, MAX_USER_AGENT_LENGTH);
      const call: CallOptions = principal ? { principal } : { token: refusedToken! };
      if (ip !== null) call.ip = ip;
      if (userAgent) call.userAgent = userAgent;

      beforeVault = false;
      const result = await route.run({
        params,
        query,
        body,
        vault,
        call,
        approveUrl: (id) => approveUrlOf(request.mountPath, id),
      });
      if (result.json !== undefined) return { status: result.status, headers, body: result.json };
      if (result.body === undefined) {
        delete headers['content-type'];
        return { status: result.status, headers, body: null };
      }
      return { status: result.status, headers, body: JSON.stringify(result.body) };
    } catch (error) {
      const mapped = errorResponse(error, errorOptions);
      if (refusals && beforeVault && mapped.status < 500) {
        refusals.record(
          failedAuth ? 'auth.failed' : 'request.refused',
          mapped.body.error.code,
          ip,
          principal?.tenant,
          clock.now(),
        );
      }
      if (mapped.retryAfter !== undefined) headers['retry-after'] = String(mapped.retryAfter);
      if (mapped.status === 401) headers['www-authenticate'] = 'Bearer realm="agentvault"';
      if (mapped.status === 413) headers.connection = 'close';
      return { status: mapped.status, headers, body: JSON.stringify(mapped.body) };
    }
  };
}
