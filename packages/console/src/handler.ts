/**
 * The framework-neutral console: a binding (fetch, Express, Koa) turns its request into a
 * `ConsoleRequest` and writes back the `ConsoleResponse`. Sign-in, sessions, CSRF and cross-site
 * checks, routing and error pages happen here, once. Every vault call is in-process, as the
 * signed-in principal (see inspect.ts for the one read made as the console itself).
 */
import { randomBytes } from 'node:crypto';
import {
  actorOf,
  AgentVaultError,
  AgentVaultPermissionError,
  type Approval,
  type Principal,
  type SecretMetadata,
  type Vault,
} from '@agentvault/core';
import { clientIp, type TrustProxy } from '@agentvault/core/http';
import { z } from 'zod';
import { CONSOLE_CSS } from './css';
import { html, type SafeHtml } from './html';
import { inspector } from './inspect';
import { alertsPage } from './pages/alerts';
import { factsOf, inboxPage, requestPage } from './pages/approvals';
import { auditPage, auditQuery } from './pages/audit';
import { secretPage, secretQuery, secretsPage, secretsQuery } from './pages/secrets';
import { messagePage, signInPage } from './pages/sign-in';
import { boundToken, cookie, crossSiteRefusal, parseCookies, SECURITY_HEADERS, sameToken } from './security';
import { memorySessionStore, randomToken, type SessionStore, type SessionStoreOptions } from './session';
import { layout, notice, type Page, type PageContext } from './views';

export interface ConsoleOptions<Native = unknown> {
  /**
   * The host's own sign-in: map the binding's request (fetch `Request`, Express `req`, Koa `ctx`)
   * to a principal, `{ kind: 'user', id, tenant, roles }`, or null when nobody is signed in. When
   * given, the console shows no sign-in form of its own (unless `keySignIn` is true).
   */
  authenticate?: (
    request: Native,
    info: { ip: string | null },
  ) => Principal | null | undefined | Promise<Principal | null | undefined>;
  /** Where a host sends people who are not signed in (with `authenticate`). Default: a "not signed in" page. */
  signInUrl?: string;
  /** Offer the standalone sign-in with an approver or admin agent key. Default: true without `authenticate`. */
  keySignIn?: boolean;
  /** Sessions of the standalone sign-in (lifetime, idle timeout). */
  sessions?: SessionStoreOptions;
  /**
   * The public base URL people reach the server at (`https://vault.example.com`): the only origin
   * whose form posts are accepted, and with https the session cookie is Secure. Default: the
   * request's own scheme and host.
   */
  publicUrl?: string;
  /** Honour `X-Forwarded-For` from this many trusted proxies, for the audit trail's ip. Default false. */
  trustProxy?: TrustProxy;
  /** Secrets expiring within this many days show in the alerts panel. Default 7. */
  expiringWithinDays?: number;
  /** Milliseconds since the epoch, for "in 5 minutes". Default Date.now. */
  now?: () => number;
  logger?: { error(message: string, fields?: Record<string, unknown>): void };
}

export interface ConsoleRequest<Native = unknown> {
  method: string;
  /** Path and query relative to the mount point: `/approvals/apr_1?done=approved`. */
  target: string;
  header(name: string): string | undefined;
  /** The urlencoded body, at most `limit` bytes (null past it). */
  readForm(limit: number): Promise<URLSearchParams | null>;
  socketIp: string | null;
  /** The mount point as the browser sees it (`/console`). */
  mountPath: string;
  /** Served over TLS. */
  secure: boolean;
  native: Native;
}

export interface ConsoleResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | null;
}

export type ConsoleRequestHandler<Native = unknown> = (request: ConsoleRequest<Native>) => Promise<ConsoleResponse>;

const SESSION_COOKIE = 'agentvault_console';
const SIGN_IN_COOKIE = 'agentvault_console_signin';
const FORM_LIMIT = 16 * 1024;
const MAX_SCAN = 2_000;

const decisionForm = z.object({
  csrf: z.string().max(256),
  comment: z.string().max(1024).optional(),
  reason: z.string().max(1024).optional(),
});
const signInForm = z.object({
  csrf: z.string().max(256),
  key: z.string().min(1).max(512),
  next: z.string().max(2048).optional(),
});

interface Signed {
  principal: Principal;
  csrf: string;
  sessionId: string | null;
}

const HTML_TYPE = 'text/html; charset=utf-8';

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly text: string,
  ) {
    super(text);
  }
}

const mayUseConsole = (p: Principal) =>
  p.kind === 'app' || ((p.kind === 'key' || p.kind === 'user') && (p.roles.includes('approver') || p.roles.includes('admin')));

function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ');
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new Refusal(422, 'Invalid input', issuesText(result.error));
  return result.data;
}

/** Build the request handler every binding shares. */
export function createConsoleRequestHandler<Native>(
  vault: Vault,
  options: ConsoleOptions<Native> = {},
): ConsoleRequestHandler<Native> {
  if (!vault || typeof vault.listApprovals !== 'function')
    throw new TypeError('createConsole: `vault` (from createVault) is required');
  const keySignIn = options.keySignIn ?? !options.authenticate;
  const publicOrigin = options.publicUrl ? new URL(options.publicUrl).origin : null;
  const sessions: SessionStore = memorySessionStore({ ...options.sessions, ...(options.now ? { now: options.now } : {}) });
  const hostSecret = randomBytes(32);
  const now = options.now ?? Date.now;
  const windowDays = options.expiringWithinDays ?? 7;
  const logger = options.logger ?? { error: (message, fields) => console.error(`[agentvault:console] ${message}`, fields ?? '') };
  const sessionTtl = options.sessions?.ttlSeconds ?? 8 * 3600;

  // A revoked key's sessions end with it (a revocation on another instance ends them at expiry).
  vault.on('agent_key.revoked', (event) => {
    sessions.destroyWhere((p) => p.kind === 'key' && p.id === event.keyId && p.tenant === event.tenant);
  });

  return async function handle(request) {
    const base = request.mountPath;
    const secure = request.secure || publicOrigin?.startsWith('https:') === true;
    const cookiePath = base || '/';
    const headers: Record<string, string | string[]> = { ...SECURITY_HEADERS };
    const cookies = parseCookies(request.header('cookie'));
    const queryAt = request.target.indexOf('?');
    const path = (queryAt === -1 ? request.target : request.target.slice(0, queryAt)) || '/';
    const query = new URLSearchParams(queryAt === -1 ? '' : request.target.slice(queryAt + 1));
    const method = request.method.toUpperCase();
    const ip = clientIp(request.socketIp, request.header('x-forwarded-for'), options.trustProxy ?? false);
    const userAgent = request.header('user-agent')?.slice(0, 512);
    const expectedOrigin = () => publicOrigin ?? `${request.secure ? 'https' : 'http'}://${request.header('host') ?? ''}`;

    const page = (status: number, text: string): ConsoleResponse => ({
      status,
      headers: { ...headers, 'content-type': HTML_TYPE },
      body: text,
    });
    const redirect = (location: string): ConsoleResponse => ({ status: 303, headers: { ...headers, location }, body: null });
    const setCookie = (value: string) => {
      const existing = headers['set-cookie'];
      headers['set-cookie'] = existing === undefined ? [value] : [...(Array.isArray(existing) ? existing : [existing]), value];
    };

    async function readForm(): Promise<URLSearchParams> {
      const type = request.header('content-type') ?? '';
      if (!/^application\/x-www-form-urlencoded\b/i.test(type)) throw new Refusal(415, 'Unsupported form', 'Forms are sent as application/x-www-form-urlencoded.');
      const form = await request.readForm(FORM_LIMIT);
      if (!form) throw new Refusal(413, 'Form too large', 'The form is larger than the console accepts.');
      return form;
    }

    function checkSameSite(): void {
      const refusal = crossSiteRefusal(request.header, expectedOrigin());
      if (refusal) throw new Refusal(403, 'Request refused', `The console refused a ${refusal}: forms are accepted only from its own pages.`);
    }

    async function signedIn(): Promise<Signed | null> {
      const sessionId = cookies.get(SESSION_COOKIE);
      if (keySignIn && sessionId) {
        const session = sessions.get(sessionId);
        if (session) return { principal: session.principal, csrf: session.csrf, sessionId };
      }
      if (options.authenticate) {
        const principal = await options.authenticate(request.native, { ip });
        if (principal) return { principal, csrf: boundToken(hostSecret, `${principal.tenant}\u0000${actorOf(principal)}`), sessionId: null };
      }
      return null;
    }

    let ctx: PageContext | null = null;

    /** A `next` target must stay inside the console. */
    const safeNext = (next: string | undefined | null) =>
      next && next.startsWith(`${base}/`) && !next.startsWith('//') && !/[\\\s]/.test(next) ? next : `${base}/approvals`;

    try {
      if (method === 'GET' && path === '/console.css')
        return { status: 200, headers: { ...headers, 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }, body: CONSOLE_CSS };

      if (keySignIn && path === '/sign-in') {
        if (method === 'GET') {
          if (await signedIn()) return redirect(safeNext(query.get('next')));
          const token = randomToken();
          setCookie(cookie(SIGN_IN_COOKIE, token, { path: cookiePath, secure, maxAgeSeconds: 900 }));
          return page(200, signInPage(base, token, safeNext(query.get('next')), null));
        }
        if (method === 'POST') {
          checkSameSite();
          const fields = Object.fromEntries(await readForm());
          if (!sameToken(fields.csrf, cookies.get(SIGN_IN_COOKIE)))
            throw new Refusal(403, 'Request refused', 'The sign-in form has expired or did not come from this console. Open the sign-in page again.');
          const form = parse(signInForm, fields);
          let principal: Principal | null = null;
          try {
            principal = await vault.authenticate(form.key, { ...(ip ? { ip } : {}), ...(userAgent ? { userAgent } : {}) });
          } catch (error) {
            if (!(error instanceof AgentVaultError)) throw error;
          }
          if (!principal || principal.kind !== 'key' || !mayUseConsole(principal)) {
            const token = randomToken();
            setCookie(cookie(SIGN_IN_COOKIE, token, { path: cookiePath, secure, maxAgeSeconds: 900 }));
            const message = principal ? 'This key has neither the approver nor the admin role.' : 'That key was not accepted.';
            return page(401, signInPage(base, token, safeNext(form.next), message));
          }
          const { id } = sessions.create(principal);
          setCookie(cookie(SESSION_COOKIE, id, { path: cookiePath, secure, maxAgeSeconds: sessionTtl }));
          setCookie(cookie(SIGN_IN_COOKIE, '', { path: cookiePath, secure, maxAgeSeconds: 0 }));
          return redirect(safeNext(form.next));
        }
      }

      const signed = await signedIn();
      if (!signed) {
        if (method !== 'GET') throw new Refusal(403, 'Request refused', 'Sign in first.');
        if (keySignIn) return redirect(`${base}/sign-in?${new URLSearchParams({ next: `${base}${path}` })}`);
        if (options.signInUrl) return redirect(options.signInUrl);
        return page(401, messagePage(base, 'Not signed in', 'Sign in to the application to use the approvals console.'));
      }
      if (!mayUseConsole(signed.principal))
        return page(403, messagePage(base, 'No access', 'The console is for principals with the approver or admin role.'));

      ctx = { base, principal: signed.principal, csrf: signed.csrf, canSignOut: signed.sessionId !== null, now: now() };
      const call = { principal: signed.principal, ...(ip ? { ip } : {}), ...(userAgent ? { userAgent } : {}) };
      const render = (p: Page) => page(p.status, layout(ctx!, p));

      if (method === 'POST') {
        checkSameSite();
        const fields = Object.fromEntries(await readForm());
        if (!sameToken(fields.csrf, signed.csrf))
          throw new Refusal(403, 'Request refused', 'This form has expired or did not come from this console. Reload the page and try again.');
        const form = parse(decisionForm, fields);
        if (path === '/sign-out' && signed.sessionId) {
          sessions.destroy(signed.sessionId);
          setCookie(cookie(SESSION_COOKIE, '', { path: cookiePath, secure, maxAgeSeconds: 0 }));
          return redirect(`${base}/sign-in`);
        }
        const decide = /^\/approvals\/([A-Za-z0-9_-]{1,64})\/(approve|deny)$/.exec(path);
        if (!decide) throw new Refusal(404, 'Not found', 'No such form.');
        const [, id, action] = decide as unknown as [string, string, 'approve' | 'deny'];
        try {
          if (action === 'approve') await vault.approve(id, { comment: form.comment?.trim() || null }, call);
          else await vault.deny(id, { reason: form.reason?.trim() || null }, call);
        } catch (error) {
          if (!(error instanceof AgentVaultError) || error.statusCode >= 500) throw error;
          const inspect = inspector(vault, signed.principal);
          const approval = await inspect.getApproval(id).catch(() => null);
          if (!approval) throw new Refusal(error.statusCode, 'Refused', error.message);
          const facts = await factsOf(inspect, approval);
          return render(requestPage(ctx, facts, notice('error', html`The vault refused your decision: ${error.message}`), error.statusCode));
        }
        return redirect(`${base}/approvals/${encodeURIComponent(id)}?done=${action === 'approve' ? 'approved' : 'denied'}`);
      }
      if (method !== 'GET' && method !== 'HEAD') throw new Refusal(405, 'Method not allowed', 'Use the console\'s pages and forms.');

      if (path === '/' || path === '') return redirect(`${base}/approvals`);
      if (path === '/approvals') return render(await inbox(ctx, call, query.get('done')));
      const one = /^\/approvals\/([A-Za-z0-9_-]{1,64})$/.exec(path);
      if (one) {
        const inspect = inspector(vault, signed.principal);
        const approval = await inspect.getApproval(one[1]!);
        const done = query.get('done');
        const flash = done === 'approved' ? notice('ok', 'Your approval is recorded.') : done === 'denied' ? notice('ok', 'You denied this request.') : null;
        return render(requestPage(ctx, await factsOf(inspect, approval), flash));
      }
      if (path === '/secrets') {
        const q = parse(secretsQuery, Object.fromEntries(query));
        const [tagKey, ...tagValue] = q.tag?.split('=') ?? [];
        const list = await vault.listSecrets(q.namespace ?? '', {
          ...call,
          limit: 50,
          cursor: q.cursor ?? null,
          ...(q.tier ? { tier: q.tier } : {}),
          ...(q.type ? { type: q.type } : {}),
          ...(tagKey ? { tags: { [tagKey]: tagValue.join('=') } } : {}),
        });
        return render(secretsPage(ctx, q, list));
      }
      if (path === '/secret') {
        const q = parse(secretQuery, Object.fromEntries(query));
        const meta = await findSecret(q.path, call);
        const [versions, audit] = await Promise.all([
          vault.listVersions(q.path, call),
          vault.queryAudit({ path: q.path, limit: 50 }, call),
        ]);
        return render(secretPage(ctx, meta, versions, audit.events));
      }
      if (path === '/alerts') {
        const horizon = ctx.now + windowDays * 86_400_000;
        const expiring = (await scanSecrets(call)).filter((s) => s.expiresAt !== null && s.expiresAt.getTime() <= horizon);
        expiring.sort((a, b) => a.expiresAt!.getTime() - b.expiresAt!.getTime());
        const failures = await vault.queryAudit({ type: 'secret.rotate', success: false, since: new Date(ctx.now - 30 * 86_400_000), limit: 50 }, call);
        return render(alertsPage(ctx, expiring, windowDays, failures.events));
      }
      if (path === '/audit') {
        const q = parse(auditQuery, Object.fromEntries(query));
        const events = await vault.queryAudit(
          {
            ...(q.namespace ? { namespace: q.namespace } : {}),
            ...(q.path ? { path: q.path } : {}),
            ...(q.actor ? { actor: q.actor } : {}),
            ...(q.type ? { type: q.type } : {}),
            ...(q.since ? { since: q.since } : {}),
            ...(q.until ? { until: q.until } : {}),
            ...(q.success ? { success: q.success === 'yes' } : {}),
            order: q.order,
            cursor: q.cursor ?? null,
            limit: 50,
          },
          call,
        );
        const verification = await vault
          .verifyAudit(call)
          .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
        return render(auditPage(ctx, q, events, verification));
      }
      throw new Refusal(404, 'Not found', 'No such page in the console.');
    } catch (error) {
      return errorPage(error);
    }

    function errorPage(error: unknown): ConsoleResponse {
      let status = 500;
      let title = 'Something went wrong';
      let text = 'The console could not complete this request. The error was logged.';
      if (error instanceof Refusal) ({ status, title, text } = error);
      else if (error instanceof AgentVaultPermissionError) {
        status = 403;
        title = 'Not allowed';
        text = `The vault refused: ${error.message}.`;
      } else if (error instanceof AgentVaultError && error.statusCode < 500) {
        status = error.statusCode;
        title = status === 404 ? 'Not found' : 'Refused';
        text = error.message;
      } else {
        logger.error('console request failed', { error: error instanceof Error ? error.name : 'unknown' });
      }
      if (ctx) return page(status, layout(ctx, { status, title, section: null, body: html`<h1>${title}</h1>${notice('error', text)}` }));
      return page(status, messagePage(base, title, text, { href: `${base}/approvals`, label: 'Back to the console' }));
    }
  };

  async function inbox(ctx: PageContext, call: { principal: Principal }, done: string | null): Promise<Page> {
    const all: Approval[] = [];
    let cursor: string | null = null;
    do {
      const page = await vault.listApprovals({ ...call, limit: 200, cursor });
      all.push(...page.items);
      cursor = all.length < MAX_SCAN ? page.nextCursor : null;
    } while (cursor);
    const inspect = inspector(vault, ctx.principal);
    const pending = await Promise.all(all.filter((a) => a.status === 'pending').map((a) => factsOf(inspect, a)));
    const decided = all
      .filter((a) => a.status !== 'pending')
      .sort((a, b) => (b.decidedAt ?? b.expiresAt).getTime() - (a.decidedAt ?? a.expiresAt).getTime())
      .slice(0, 25);
    const flash = done === 'approved' ? notice('ok', 'Your approval is recorded.') : done === 'denied' ? notice('ok', 'The request is denied.') : null;
    return inboxPage(ctx, pending, decided, flash as SafeHtml | null);
  }

  async function scanSecrets(call: object): Promise<SecretMetadata[]> {
    const out: SecretMetadata[] = [];
    let cursor: string | null = null;
    do {
      const page = await vault.listSecrets('', { ...call, limit: 200, cursor });
      out.push(...page.items);
      cursor = out.length < MAX_SCAN ? page.nextCursor : null;
    } while (cursor);
    return out;
  }

  async function findSecret(path: string, call: object): Promise<SecretMetadata> {
    const slash = path.lastIndexOf('/');
    const namespace = slash === -1 ? '' : path.slice(0, slash);
    let cursor: string | null = null;
    let scanned = 0;
    do {
      const page = await vault.listSecrets(namespace, { ...call, limit: 200, cursor });
      const found = page.items.find((s) => s.path === path);
      if (found) return found;
      scanned += page.items.length;
      cursor = scanned < MAX_SCAN * 5 ? page.nextCursor : null;
    } while (cursor);
    throw new Refusal(404, 'Not found', 'No such secret.');
  }
}
