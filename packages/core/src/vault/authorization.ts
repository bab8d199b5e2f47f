/** Who is calling (credentials → principal) and what they may do (roles, scopes, tiers, uses). */
import { z } from 'zod';
import type { AgentKeyRecord, RecordKey, Role, TokenRecord } from '../contracts/records';
import { type Tier, tierRank } from '../domain/classification';
import { AGENT_KEY_PREFIX, hashCredential, TOKEN_PREFIX } from '../domain/credentials';
import { ipAllowed } from '../domain/ip-allowlist';
import { spendUse, type TokenUseOutcome } from '../domain/tokens';
import { actorOf, describePrincipal, type Principal } from '../domain/principals';
import {
  parseScope,
  requiredListScopeFor,
  requiredScopeFor,
  type Scope,
  type SecretAction,
  scopeAllows,
  scopeAllowsList,
} from '../domain/scopes';
import { AgentVaultAuthError, AgentVaultPermissionError } from '../errors';
import { callShape } from '../schemas/secrets';
import { commitWithRetry, getRecord, keyOf, put } from './records';
import type { Runtime } from './runtime';

/** The principal of one call and what its audit events record about the caller. */
export interface CallContext {
  principal: Principal;
  tenant: string;
  actor: string;
  actorDescription: string | null;
  ip: string | null;
  userAgent: string | null;
}

const callFields = z.object(callShape);
/** The call fields of an operation's parsed options. */
export type CallFields = z.output<typeof callFields>;

const scopes = new WeakMap<TokenRecord, Scope>();

export function tokenScope(token: TokenRecord): Scope {
  let scope = scopes.get(token);
  if (!scope) {
    scope = parseScope(token.scope);
    scopes.set(token, scope);
  }
  return scope;
}

/**
 * The token a value names. Cached by hash: only the immutable fields of a cached record are
 * trusted (scope, tier, allowlist, expiry, lineage); storage checks revocation and uses on every use.
 */
async function findToken(rt: Runtime, value: string): Promise<TokenRecord | null> {
  const hash = hashCredential(value);
  const cached = rt.tokens.get(hash);
  if (cached) return cached.record;
  const found = await rt.storage.findCredential(hash);
  if (found?.kind !== 'token') return null;
  rt.tokens.set(hash, { record: found.record, scope: tokenScope(found.record) });
  return found.record;
}

/**
 * The tree a scoped token value belongs to (its tenant and root token id), for rate limits: every
 * token of a tree shares its root's bucket. Null for anything that is not a known token. Not audited.
 */
export async function tokenTreeOf(rt: Runtime, credential: string): Promise<{ tenant: string; rootId: string } | null> {
  if (!credential.startsWith(TOKEN_PREFIX)) return null;
  const token = await findToken(rt, credential);
  return token ? { tenant: token.tenant, rootId: token.rootId } : null;
}

async function findAgentKey(rt: Runtime, value: string): Promise<AgentKeyRecord | null> {
  const found = await rt.storage.findCredential(hashCredential(value));
  return found?.kind === 'agent_key' ? found.record : null;
}

/** Refusals of a known credential, with the principal it names, so the refusal is audited against it. */
const refusedPrincipals = new WeakMap<object, Principal>();

function refuse<E extends Error>(error: E, principal: Principal): E {
  refusedPrincipals.set(error, principal);
  return error;
}

/**
 * Turn a credential (`ass_live_…` agent key or `ast_tok_…` scoped token) into a principal.
 * Unknown, revoked and expired credentials throw AgentVaultAuthError; a token used from an address
 * outside its allowlist throws AgentVaultPermissionError.
 */
export async function principalFor(rt: Runtime, credential: string, ip: string | null): Promise<Principal> {
  if (credential.startsWith(AGENT_KEY_PREFIX)) {
    const key = await findAgentKey(rt, credential);
    if (!key) throw new AgentVaultAuthError('Invalid agent key');
    const principal: Principal = {
      kind: 'key',
      id: key.id,
      tenant: key.tenant,
      roles: key.roles,
      description: key.description,
    };
    if (key.revokedAt !== null)
      throw refuse(new AgentVaultAuthError('Agent key has been revoked'), principal);
    return principal;
  }
  if (credential.startsWith(TOKEN_PREFIX)) {
    const token = await findToken(rt, credential);
    if (!token) throw new AgentVaultAuthError('Invalid token');
    const principal: Principal = { kind: 'token', id: token.id, tenant: token.tenant, token };
    if (token.revokedAt !== null) throw refuse(new AgentVaultAuthError('Token has been revoked'), principal);
    if (token.expiresAt <= rt.clock.now())
      throw refuse(new AgentVaultAuthError('Token has expired'), principal);
    if (token.allowedIps !== null && (ip === null || !ipAllowed(ip, token.allowedIps))) {
      throw refuse(new AgentVaultPermissionError('This token may not be used from this address'), principal);
    }
    return principal;
  }
  throw new AgentVaultAuthError('Unrecognised credential');
}

function callContext(principal: Principal, ip: string | null, userAgent: string | null): CallContext {
  return {
    principal,
    tenant: principal.tenant,
    actor: actorOf(principal),
    actorDescription: describePrincipal(principal),
    ip,
    userAgent,
  };
}

/**
 * Resolve the caller of one operation from its parsed options (`token`, `principal`, `actor`,
 * `tenant`, …). Synchronous unless a credential has to be looked up.
 */
export function resolveCall(rt: Runtime, fields: CallFields): CallContext | Promise<CallContext> {
  const ip = fields.ip ?? null;
  const userAgent = fields.userAgent ?? null;
  const finish = (principal: Principal): CallContext => {
    if (fields.tenant !== undefined && fields.tenant !== principal.tenant) {
      throw refuse(new AgentVaultPermissionError('The credential belongs to another tenant'), principal);
    }
    return callContext(principal, ip, userAgent);
  };
  if (fields.token !== undefined) return principalFor(rt, fields.token, ip).then(finish);
  if (fields.principal) return finish(fields.principal);
  return finish({
    kind: 'app',
    name: fields.actor ?? rt.config.defaultActor,
    tenant: fields.tenant ?? rt.config.defaultTenant,
  });
}

/**
 * Who to record a refusal against when the caller could not be resolved: the principal a known
 * but refused credential names, else `anonymous`.
 */
export function anonymousCall(rt: Runtime, options: unknown, error: unknown): CallContext {
  const fields = callFields.safeParse(options ?? {});
  const data = fields.success ? fields.data : {};
  const ip = data.ip ?? null;
  const userAgent = data.userAgent ?? null;
  const refused = error instanceof Object ? refusedPrincipals.get(error) : undefined;
  if (refused) return callContext(refused, ip, userAgent);
  const tenant = data.tenant ?? rt.config.defaultTenant;
  return {
    principal: { kind: 'app', name: 'anonymous', tenant },
    tenant,
    actor: 'anonymous',
    actorDescription: null,
    ip,
    userAgent,
  };
}

export function requireRole(call: CallContext, role: Role, what: string): void {
  const p = call.principal;
  if (p.kind === 'app') return;
  if (p.kind === 'token') throw new AgentVaultPermissionError(`Scoped tokens cannot ${what}`);
  if (!p.roles.includes(role))
    throw new AgentVaultPermissionError(`${call.actor} needs the ${role} role to ${what}`);
}

/** May the caller do `action` on `path`? Admins may do anything in their tenant; tokens what their scope covers. */
export function authorizeSecret(call: CallContext, action: SecretAction, path: string): void {
  const p = call.principal;
  if (p.kind !== 'token') {
    requireRole(call, 'admin', 'manage secrets');
    return;
  }
  const scope = tokenScope(p.token);
  if (!scopeAllows(scope, action, path)) {
    throw new AgentVaultPermissionError(
      `Token scope '${scope.text}' does not cover ${action} on path '${path}'`,
      {
        path,
        requiredScope: requiredScopeFor(action, path),
      },
    );
  }
}

export function authorizeList(call: CallContext, namespace: string): void {
  const p = call.principal;
  if (p.kind !== 'token') {
    requireRole(call, 'admin', 'list secrets');
    return;
  }
  const scope = tokenScope(p.token);
  if (!scopeAllowsList(scope, namespace)) {
    throw new AgentVaultPermissionError(
      `Token scope '${scope.text}' does not cover listing '${namespace || '*'}'`,
      {
        path: namespace || null,
        requiredScope: requiredListScopeFor(namespace),
      },
    );
  }
}

export function authorizeAuditRead(call: CallContext): void {
  const p = call.principal;
  if (p.kind === 'token') {
    if (!tokenScope(p.token).auditRead) {
      throw new AgentVaultPermissionError('Reading the audit trail needs the audit:read scope', {
        requiredScope: 'audit:read',
      });
    }
    return;
  }
  requireRole(call, 'admin', 'read the audit trail');
}

/** The highest tier the caller may touch; null = no limit. */
export function tierLimit(call: CallContext): Tier | null {
  return call.principal.kind === 'token' ? call.principal.token.approvedTier : null;
}

export function authorizeTier(call: CallContext, action: SecretAction, path: string, tier: Tier): void {
  const limit = tierLimit(call);
  if (limit !== null && tierRank(tier) > tierRank(limit)) {
    throw new AgentVaultPermissionError(
      `Token is approved for ${limit} secrets; '${path}' is ${tier}. Request a new token.`,
      {
        path,
        requiredScope: requiredScopeFor(action, path),
      },
    );
  }
}

const useRefusals = {
  token_revoked: 'Token has been revoked',
  token_expired: 'Token has expired',
  token_exhausted: 'Token has no uses left',
} as const;

export function tokenRefusal(outcome: Exclude<TokenUseOutcome, 'ok'>): AgentVaultAuthError {
  return new AgentVaultAuthError(useRefusals[outcome]);
}

/**
 * Spend one use of the caller's token outside the audited read (a no-op for other principals):
 * read the token, check it, store one use less expecting the rev read; a lost race re-reads.
 */
export async function consumeUse(rt: Runtime, call: CallContext): Promise<void> {
  if (call.principal.kind !== 'token') return;
  const key = keyOf.id('token', call.tenant, call.principal.id) as RecordKey & { kind: 'token' };
  await commitWithRetry(async () => {
    const stored = await getRecord(rt.storage, key);
    const spent = spendUse(stored?.record ?? null, rt.clock.now());
    if (spent.outcome !== 'ok') throw tokenRefusal(spent.outcome);
    if (spent.next) await rt.storage.commit({ writes: [put('token', spent.next, stored!.rev)], events: [] });
  }, USE_ATTEMPTS);
}

/** Parallel uses of one limited token settle one per round, so allow a few more rounds than a record edit. */
const USE_ATTEMPTS = 16;
