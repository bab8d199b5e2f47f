/** Agent keys, scoped tokens and approvals: who may hold what, and the humans who decide. */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type {
  AgentKeyRecord,
  ApprovalRecord,
  ApprovalStatus,
  AuditEventType,
  Role,
  TokenRecord,
} from '../contracts/records';
import { type Tier, tierRank } from '../domain/classification';
import { hashCredential, newAgentKeyValue, newTokenValue } from '../domain/credentials';
import { decodeCursor, encodeCursor } from '../domain/cursor';
import { newId } from '../domain/ids';
import { entryWithin, normalizeAllowlistEntry } from '../domain/ip-allowlist';
import type { Principal } from '../domain/principals';
import { hasRole } from '../domain/principals';
import { parseScope, patternMatches, patternNamespace, type Scope, scopeWithin } from '../domain/scopes';
import {
  AgentVaultApprovalPendingError,
  AgentVaultConflictError,
  AgentVaultGoneError,
  AgentVaultNotFoundError,
  AgentVaultPermissionError,
  AgentVaultValidationError,
} from '../errors';
import {
  approveSchema,
  createAgentKeySchema,
  denySchema,
  listApprovalsSchema,
  listTokensSchema,
  tokenRequestSchema,
  waitForApprovalSchema,
} from '../schemas/access';
import { parseInput } from '../schemas/fields';
import { type CallOptions, callSchema } from '../schemas/secrets';
import { alreadyAudited, auditFailure, type OperationFacts, operation, successEvent } from './auditing';
import {
  anonymousCall,
  type CallContext,
  type CallFields,
  principalFor,
  requireRole,
  tokenRefusal,
  tokenScope,
} from './authorization';
import { emitEvent, type VaultEvent, type VaultEventListener, type VaultEventType } from './events';
import type { Runtime } from './runtime';

export type CreateAgentKeyInput = z.input<typeof createAgentKeySchema>;
export type TokenRequest = z.input<typeof tokenRequestSchema>;
export type WaitForApprovalOptions = z.input<typeof waitForApprovalSchema>;
export type ListTokensOptions = z.input<typeof listTokensSchema>;
export type ListApprovalsOptions = z.input<typeof listApprovalsSchema>;

export interface AgentKey {
  id: string;
  description: string | null;
  roles: Role[];
  createdAt: Date;
  createdBy: string;
  revokedAt: Date | null;
}

/** A new agent key: `value` is shown this once and never stored. */
export interface CreatedAgentKey extends AgentKey {
  value: string;
}

/** The seed's ScopedToken, plus the token id and the tier it was approved for. */
export interface ScopedToken {
  /** `tok_…`; null while approval is pending. */
  id: string | null;
  /** `ast_tok_…`, handed out exactly once; null while pending and in every later view. */
  value: string | null;
  scope: string;
  ttlSeconds: number;
  expiresAt: Date | null;
  description: string | null;
  allowedIps: string[] | null;
  maxUses: number | null;
  usesRemaining: number | null;
  approvalStatus: 'approved' | 'pending' | 'denied' | 'expired';
  approvalRequestId: string | null;
  /** The highest tier the token may touch; null while pending. */
  approvedTier: Tier | null;
}

export interface TokenInfo {
  id: string;
  scope: string;
  approvedTier: Tier;
  description: string | null;
  allowedIps: string[] | null;
  maxUses: number | null;
  usesRemaining: number | null;
  createdAt: Date;
  expiresAt: Date;
  issuedBy: string;
  parentId: string | null;
  approvalRequestId: string | null;
  revokedAt: Date | null;
}

export interface Approval {
  id: string;
  status: ApprovalStatus;
  requestedBy: string;
  requesterDescription: string | null;
  scope: string;
  tier: Tier;
  ttlSeconds: number;
  description: string | null;
  allowedIps: string[] | null;
  maxUses: number | null;
  requiredApprovals: number;
  decisions: Array<{ decision: 'approve' | 'deny'; by: string; note: string | null; at: Date }>;
  createdAt: Date;
  expiresAt: Date;
  decidedAt: Date | null;
  claimedAt: Date | null;
  tokenId: string | null;
  /** The minted token, present only in the requester's first look after approval. */
  token: ScopedToken | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const idCursor = z.object({ after: z.string() });

/** Actions that reach secret values; a grant of only `list` does not raise the tier. */
const VALUE_ACTIONS = new Set(['read', 'write', 'rotate', 'delete', '*']);

function keyView(record: AgentKeyRecord): AgentKey {
  return {
    id: record.id,
    description: record.description,
    roles: [...record.roles],
    createdAt: new Date(record.createdAt),
    createdBy: record.createdBy,
    revokedAt: record.revokedAt === null ? null : new Date(record.revokedAt),
  };
}

function tokenInfo(record: TokenRecord): TokenInfo {
  return {
    id: record.id,
    scope: record.scope,
    approvedTier: record.approvedTier,
    description: record.description,
    allowedIps: record.allowedIps,
    maxUses: record.maxUses,
    usesRemaining: record.usesRemaining,
    createdAt: new Date(record.createdAt),
    expiresAt: new Date(record.expiresAt),
    issuedBy: record.issuedBy,
    parentId: record.parentId,
    approvalRequestId: record.approvalRequestId,
    revokedAt: record.revokedAt === null ? null : new Date(record.revokedAt),
  };
}

function issuedToken(record: TokenRecord, value: string): ScopedToken {
  return {
    id: record.id,
    value,
    scope: record.scope,
    ttlSeconds: Math.round((record.expiresAt - record.createdAt) / 1000),
    expiresAt: new Date(record.expiresAt),
    description: record.description,
    allowedIps: record.allowedIps,
    maxUses: record.maxUses,
    usesRemaining: record.usesRemaining,
    approvalStatus: 'approved',
    approvalRequestId: record.approvalRequestId,
    approvedTier: record.approvedTier,
  };
}

/** The status a reader sees: a pending request past its deadline is expired. */
function effectiveStatus(record: ApprovalRecord, now: number): ApprovalStatus {
  return record.status === 'pending' && record.expiresAt <= now ? 'expired' : record.status;
}

export function accessOperations(rt: Runtime) {
  const { storage } = rt;

  function run<S extends z.ZodType<CallFields>, T>(
    type: AuditEventType,
    schema: S,
    options: unknown,
    body: (call: CallContext, options: z.output<S>, facts: OperationFacts) => Promise<T>,
  ) {
    return operation(rt, { type, path: null }, schema, options, body);
  }

  const emit = (event: VaultEvent) => emitEvent(rt.listeners, rt.logger, event);

  /** Subscribe to vault events (all, or one type); returns the unsubscribe function. */
  function on<T extends VaultEventType>(
    typeOrListener: T | VaultEventListener,
    maybeListener?: (event: Extract<VaultEvent, { type: T }>) => void | Promise<void>,
  ): () => void {
    const listener: VaultEventListener =
      typeof typeOrListener === 'function'
        ? typeOrListener
        : (event) =>
            event.type === typeOrListener
              ? maybeListener?.(event as Extract<VaultEvent, { type: T }>)
              : undefined;
    rt.listeners.add(listener);
    return () => rt.listeners.delete(listener);
  }

  // ── Agent keys ─────────────────────────────────────────────────────────────

  /** An imported value that is already a key: the same key again, or a refusal that reveals nothing. */
  async function existingImport(call: CallContext, hash: string, roles: Role[]): Promise<AgentKeyRecord | null> {
    const existing = await storage.findAgentKey(hash);
    if (!existing) return null;
    if (existing.tenant !== call.tenant || existing.revokedAt !== null) {
      throw new AgentVaultConflictError('This key value cannot be used; choose a new one');
    }
    if (existing.roles.length !== roles.length || !roles.every((role) => existing.roles.includes(role))) {
      throw new AgentVaultConflictError(`Agent key ${existing.id} already exists with other roles`);
    }
    return existing;
  }

  /** Mint a new agent key (shown once), or import one the host holds (`value`). Admins only. */
  async function createAgentKey(
    input: CreateAgentKeyInput = {},
    options?: CallOptions,
  ): Promise<CreatedAgentKey> {
    return run('agent_key.create', callSchema, options, async (call) => {
      const data = parseInput(createAgentKeySchema, input, 'agent key');
      requireRole(call, 'admin', 'create agent keys');
      const value = data.value ?? newAgentKeyValue();
      const roles = [...new Set(data.roles)];
      const hash = hashCredential(value);
      const imported = data.value !== undefined;
      const reimport = async (existing: AgentKeyRecord) => {
        await storage.appendAudit(
          successEvent(rt, call, 'agent_key.create', null, null, { keyId: existing.id, imported: true, existing: true }),
        );
        return { ...keyView(existing), value };
      };
      const existing = imported ? await existingImport(call, hash, roles) : null;
      if (existing) return reimport(existing);
      const key: AgentKeyRecord = {
        id: newId('key'),
        tenant: call.tenant,
        hash,
        description: data.description ?? null,
        roles,
        createdAt: rt.clock.now(),
        createdBy: call.actor,
        revokedAt: null,
      };
      try {
        await storage.createAgentKey({
          key,
          event: successEvent(rt, call, 'agent_key.create', null, null, { keyId: key.id, roles: roles.join(' '), imported }),
        });
      } catch (error) {
        // Another instance imported the same value at the same moment.
        const raced = imported && error instanceof AgentVaultConflictError ? await existingImport(call, hash, roles) : null;
        if (!raced) throw error;
        return reimport(raced);
      }
      emit({
        type: 'agent_key.created',
        tenant: key.tenant,
        keyId: key.id,
        createdBy: call.actor,
        roles: key.roles,
      });
      return { ...keyView(key), value };
    });
  }

  async function listAgentKeys(options?: CallOptions): Promise<AgentKey[]> {
    return run('agent_key.list', callSchema, options, async (call) => {
      requireRole(call, 'admin', 'list agent keys');
      const keys = await storage.listAgentKeys(call.tenant);
      await storage.appendAudit(successEvent(rt, call, 'agent_key.list', null, null, { count: keys.length }));
      return keys.map(keyView);
    });
  }

  async function revokeAgentKey(id: string, options?: CallOptions): Promise<AgentKey> {
    return run('agent_key.revoke', callSchema, options, async (call) => {
      requireRole(call, 'admin', 'revoke agent keys');
      const record = await storage.revokeAgentKey({
        tenant: call.tenant,
        id: String(id),
        now: rt.clock.now(),
        event: successEvent(rt, call, 'agent_key.revoke', null, null, { keyId: String(id) }),
      });
      emit({ type: 'agent_key.revoked', tenant: record.tenant, keyId: record.id, revokedBy: call.actor });
      return keyView(record);
    });
  }

  /**
   * The principal behind a credential (`ass_live_…` or `ast_tok_…`), for hosts that authenticate
   * requests themselves. Failures throw (401/403) and are audited as `auth.authenticate`.
   */
  async function authenticate(
    credential: string,
    options: { ip?: string; userAgent?: string; tenant?: string } = {},
  ): Promise<Principal> {
    try {
      return await principalFor(rt, String(credential), options.ip ?? null);
    } catch (error) {
      // Audited against the key or token the credential names, else as anonymous.
      await auditFailure(
        rt,
        anonymousCall(rt, options, error),
        { type: 'auth.authenticate', path: null },
        error,
      );
      throw error;
    }
  }

  // ── Scoped tokens ──────────────────────────────────────────────────────────

  /** The highest tier among the tenant's live secrets that the scope's value-reaching grants match. */
  async function tierOfScope(tenant: string, scope: Scope): Promise<Tier> {
    for (const tier of ['critical', 'sensitive'] as const) {
      for (const grant of scope.grants) {
        if (!VALUE_ACTIONS.has(grant.action)) continue;
        let afterPath: string | null = null;
        for (;;) {
          const page = await storage.listSecrets({
            tenant,
            namespace: patternNamespace(grant.segments),
            afterPath,
            limit: 200,
            tiers: [tier],
            trashed: false,
          });
          if (page.items.some((item) => patternMatches(grant.segments, item.path.split('/')))) return tier;
          const last = page.items.at(-1);
          if (!last || page.items.length < 200) break;
          afterPath = last.path;
        }
      }
    }
    return 'standard';
  }

  function normalizeIps(entries: string[] | null | undefined): string[] | null {
    if (!entries) return null;
    const issues: { path: (string | number)[]; message: string }[] = [];
    const normalized = entries.map((entry, index) => {
      const value = normalizeAllowlistEntry(entry);
      if (value === null)
        issues.push({ path: ['allowedIps', index], message: 'not an IPv4/IPv6 address or CIDR range' });
      return value ?? '';
    });
    if (issues.length > 0) throw new AgentVaultValidationError('Invalid token request', issues);
    return [...new Set(normalized)];
  }

  async function issue(
    call: CallContext,
    fields: Omit<TokenRecord, 'id' | 'hash' | 'tenant' | 'revokedAt'>,
  ): Promise<ScopedToken> {
    const value = newTokenValue();
    const token: TokenRecord = {
      ...fields,
      id: newId('tok'),
      tenant: call.tenant,
      hash: hashCredential(value),
      revokedAt: null,
    };
    await storage.createToken({
      token,
      event: successEvent(rt, call, 'token.issue', null, null, {
        tokenId: token.id,
        scope: token.scope,
        approvedTier: token.approvedTier,
      }),
    });
    emitIssued(token);
    return issuedToken(token, value);
  }

  function emitIssued(token: TokenRecord): void {
    emit({
      type: 'token.issued',
      tenant: token.tenant,
      tokenId: token.id,
      issuedBy: token.issuedBy,
      scope: token.scope,
      approvedTier: token.approvedTier,
      expiresAt: new Date(token.expiresAt),
      approvalRequestId: token.approvalRequestId,
    });
  }

  /** Open an approval request for a token the requester may not have without a human's decision. */
  async function requestApproval(
    call: CallContext,
    wanted: {
      scope: Scope;
      tier: Exclude<Tier, 'standard'>;
      ttlSeconds: number;
      description: string | null;
      allowedIps: string[] | null;
      maxUses: number | null;
      parentId: string | null;
    },
  ): Promise<ScopedToken> {
    const { scope, tier, ttlSeconds, allowedIps, maxUses } = wanted;
    const now = rt.clock.now();
    const approval: ApprovalRecord = {
      id: newId('apr'),
      tenant: call.tenant,
      requestedBy: call.actor,
      requesterDescription: call.actorDescription,
      request: {
        scope: scope.text,
        ttlSeconds,
        description: wanted.description,
        allowedIps,
        maxUses,
        parentId: wanted.parentId,
      },
      tier,
      status: 'pending',
      decisions: [],
      requiredApprovals: rt.config.requiredApprovals[tier],
      createdAt: now,
      expiresAt: now + rt.config.approvalTtlMs,
      decidedAt: null,
      claimedAt: null,
      tokenId: null,
    };
    await storage.createApproval({
      approval,
      event: successEvent(rt, call, 'approval.request', null, null, {
        approvalId: approval.id,
        scope: scope.text,
        tier,
      }),
    });
    emit({
      type: 'approval.requested',
      tenant: approval.tenant,
      approvalId: approval.id,
      requestedBy: approval.requestedBy,
      scope: scope.text,
      tier,
      description: approval.request.description,
      requiredApprovals: approval.requiredApprovals,
      expiresAt: new Date(approval.expiresAt),
    });
    return {
      id: null,
      value: null,
      scope: scope.text,
      ttlSeconds,
      expiresAt: null,
      description: approval.request.description,
      allowedIps,
      maxUses,
      usesRemaining: maxUses,
      approvalStatus: 'pending',
      approvalRequestId: approval.id,
      approvedTier: null,
    };
  }

  /**
   * Request a scoped token. Standard-tier scopes are issued at once; sensitive ones wait for
   * approval unless the vault allows a waiver; critical ones always wait. A token may mint a
   * narrower token of its own (never broader, never longer-lived, never with more uses).
   */
  async function requestToken(request: TokenRequest, options?: CallOptions): Promise<ScopedToken> {
    return run('token.request', callSchema, options, async (call, _options, facts) => {
      const data = parseInput(tokenRequestSchema, request, 'token request');
      const scope = parseScope(data.scope);
      const ttlSeconds = data.ttlSeconds ?? rt.config.defaultTokenTtlSeconds;
      if (ttlSeconds > rt.config.maxTokenTtlSeconds) {
        throw new AgentVaultValidationError('Invalid token request', [
          { path: ['ttlSeconds'], message: `at most ${rt.config.maxTokenTtlSeconds} seconds` },
        ]);
      }
      let allowedIps = normalizeIps(data.allowedIps);
      let maxUses = data.maxUses ?? null;
      const now = rt.clock.now();
      const p = call.principal;

      if (p.kind === 'token') {
        const parent = p.token;
        if (!scopeWithin(scope, tokenScope(parent))) {
          throw new AgentVaultPermissionError(
            `A token cannot mint a token broader than its own scope '${parent.scope}'`,
          );
        }
        const { outcome, token: spent } = await storage.useToken({ tenant: call.tenant, id: parent.id, now });
        if (outcome !== 'ok' || !spent) throw tokenRefusal(outcome === 'ok' ? 'token_revoked' : outcome);
        if (parent.allowedIps !== null) {
          if (allowedIps === null) allowedIps = parent.allowedIps;
          else if (!allowedIps.every((entry) => entryWithin(entry, parent.allowedIps!))) {
            throw new AgentVaultPermissionError(
              'A token cannot mint a token usable from addresses outside its own allowlist',
            );
          }
        }
        if (spent.usesRemaining !== null) {
          if (spent.usesRemaining === 0) throw tokenRefusal('token_exhausted');
          maxUses = Math.min(maxUses ?? spent.usesRemaining, spent.usesRemaining);
        }
        const tier = await tierOfScope(call.tenant, scope);
        const waived = tier === 'sensitive' && data.waiveApproval === true && rt.config.allowSensitiveWaiver;
        if (tier !== 'standard' && tierRank(tier) > tierRank(parent.approvedTier) && !waived) {
          // Reaching secrets above its own approved tier needs a human, as for any requester; the
          // token minted on approval is still the parent's child (revoked with it, never outliving it).
          facts.type = 'approval.request';
          const description = data.description ?? null;
          return requestApproval(call, { scope, tier, ttlSeconds, description, allowedIps, maxUses, parentId: parent.id });
        }
        facts.type = 'token.issue';
        return issue(call, {
          scope: scope.text,
          approvedTier: tier,
          description: data.description ?? null,
          allowedIps,
          maxUses,
          usesRemaining: maxUses,
          createdAt: now,
          expiresAt: Math.min(now + ttlSeconds * 1000, parent.expiresAt),
          issuedBy: call.actor,
          parentId: parent.id,
          approvalRequestId: null,
        });
      }

      requireRole(call, 'admin', 'request tokens');
      const tier = await tierOfScope(call.tenant, scope);
      const waived = tier === 'sensitive' && data.waiveApproval === true && rt.config.allowSensitiveWaiver;
      if (tier === 'standard' || waived) {
        facts.type = 'token.issue';
        return issue(call, {
          scope: scope.text,
          approvedTier: tier,
          description: data.description ?? null,
          allowedIps,
          maxUses,
          usesRemaining: maxUses,
          createdAt: now,
          expiresAt: now + ttlSeconds * 1000,
          issuedBy: call.actor,
          parentId: null,
          approvalRequestId: null,
        });
      }

      facts.type = 'approval.request';
      const description = data.description ?? null;
      return requestApproval(call, { scope, tier: tier as Exclude<Tier, 'standard'>, ttlSeconds, description, allowedIps, maxUses, parentId: null });
    });
  }

  async function revokeCascade(call: CallContext, id: string): Promise<TokenRecord> {
    const now = rt.clock.now();
    const record = await storage.revokeToken({
      tenant: call.tenant,
      id,
      now,
      event: successEvent(rt, call, 'token.revoke', null, null, { tokenId: id }),
    });
    rt.tokens.delete(record.hash);
    emit({ type: 'token.revoked', tenant: record.tenant, tokenId: record.id, revokedBy: call.actor });
    // Children minted from it go with it; createToken refuses new children once it is revoked.
    let afterId: string | null = null;
    for (;;) {
      const children = await storage.listTokens({
        tenant: call.tenant,
        parentId: id,
        activeAt: now,
        afterId,
        limit: 100,
      });
      for (const child of children) await revokeCascade(call, child.id);
      const last = children.at(-1);
      if (!last || children.length < 100) break;
      afterId = last.id;
    }
    return record;
  }

  /** Revoke a token and every token minted from it. Admins may revoke any; a token may revoke itself and its children. */
  async function revokeToken(id: string, options?: CallOptions): Promise<TokenInfo> {
    return run('token.revoke', callSchema, options, async (call) => {
      const tokenId = String(id);
      const p = call.principal;
      if (p.kind === 'token') {
        let cursor: TokenRecord | null = await storage.getToken(call.tenant, tokenId);
        while (cursor && cursor.id !== p.id)
          cursor = cursor.parentId ? await storage.getToken(call.tenant, cursor.parentId) : null;
        if (!cursor)
          throw new AgentVaultPermissionError('A token may only revoke itself and the tokens minted from it');
      } else {
        requireRole(call, 'admin', 'revoke tokens');
      }
      return tokenInfo(await revokeCascade(call, tokenId));
    });
  }

  async function listTokens(options?: ListTokensOptions): Promise<Page<TokenInfo>> {
    return run('token.list', listTokensSchema, options, async (call, opts) => {
      requireRole(call, 'admin', 'list tokens');
      const cursor = opts.cursor ? decodeCursor(opts.cursor, idCursor) : null;
      const tokens = await storage.listTokens({
        tenant: call.tenant,
        ...(opts.activeOnly ? { activeAt: rt.clock.now() } : {}),
        afterId: cursor?.after ?? null,
        limit: opts.limit + 1,
      });
      const items = tokens.slice(0, opts.limit);
      const last = items.at(-1);
      await storage.appendAudit(successEvent(rt, call, 'token.list', null, null, { count: items.length }));
      return {
        items: items.map(tokenInfo),
        nextCursor: tokens.length > opts.limit && last ? encodeCursor({ after: last.id }) : null,
      };
    });
  }

  // ── Approvals ──────────────────────────────────────────────────────────────

  function approvalView(record: ApprovalRecord, now: number, token: ScopedToken | null): Approval {
    return {
      id: record.id,
      status: effectiveStatus(record, now),
      requestedBy: record.requestedBy,
      requesterDescription: record.requesterDescription,
      scope: record.request.scope,
      tier: record.tier,
      ttlSeconds: record.request.ttlSeconds,
      description: record.request.description,
      allowedIps: record.request.allowedIps,
      maxUses: record.request.maxUses,
      requiredApprovals: record.requiredApprovals,
      decisions: record.decisions.map((d) => ({
        decision: d.decision,
        by: d.by,
        note: d.note,
        at: new Date(d.at),
      })),
      createdAt: new Date(record.createdAt),
      expiresAt: new Date(record.expiresAt),
      decidedAt: record.decidedAt === null ? null : new Date(record.decidedAt),
      claimedAt: record.claimedAt === null ? null : new Date(record.claimedAt),
      tokenId: record.tokenId,
      token,
    };
  }

  async function findApproval(call: CallContext, id: string): Promise<ApprovalRecord> {
    const record = await storage.getApproval(call.tenant, String(id));
    if (!record) throw new AgentVaultNotFoundError(`Approval request not found: '${id}'`);
    return record;
  }

  function mayView(call: CallContext, record: ApprovalRecord): boolean {
    return (
      call.actor === record.requestedBy
      || hasRole(call.principal, 'approver')
      || hasRole(call.principal, 'admin')
    );
  }

  /** Mint the approved token and hand it to the requester; null if someone else claimed it first. */
  async function claim(
    call: CallContext,
    record: ApprovalRecord,
  ): Promise<{ record: ApprovalRecord; token: ScopedToken } | null> {
    const now = rt.clock.now();
    let expiresAt = now + record.request.ttlSeconds * 1000;
    if (record.request.parentId !== null) {
      // A child never outlives its parent; a parent gone or spent makes createToken refuse it.
      const parent = await storage.getToken(call.tenant, record.request.parentId);
      if (!parent || parent.revokedAt !== null || parent.expiresAt <= now) throw tokenRefusal('token_revoked');
      expiresAt = Math.min(expiresAt, parent.expiresAt);
    }
    const value = newTokenValue();
    const token: TokenRecord = {
      id: newId('tok'),
      tenant: call.tenant,
      hash: hashCredential(value),
      scope: record.request.scope,
      approvedTier: record.tier,
      description: record.request.description,
      allowedIps: record.request.allowedIps,
      maxUses: record.request.maxUses,
      usesRemaining: record.request.maxUses,
      createdAt: now,
      expiresAt,
      issuedBy: record.requestedBy,
      parentId: record.request.parentId,
      approvalRequestId: record.id,
      revokedAt: null,
    };
    try {
      const claimed = await storage.claimApproval({
        tenant: call.tenant,
        id: record.id,
        now,
        token,
        event: successEvent(rt, call, 'token.issue', null, null, {
          tokenId: token.id,
          approvalId: record.id,
          scope: token.scope,
          approvedTier: token.approvedTier,
        }),
      });
      emitIssued(token);
      return { record: claimed, token: issuedToken(token, value) };
    } catch (error) {
      if (error instanceof AgentVaultConflictError) return null;
      throw error;
    }
  }

  /**
   * Look at a request. The requester's first look after approval mints the token and returns it
   * in `token` — once; approvers never see it.
   */
  async function getApproval(id: string, options?: CallOptions): Promise<Approval> {
    return run('approval.read', callSchema, options, async (call) => {
      let record = await findApproval(call, id);
      if (!mayView(call, record))
        throw new AgentVaultPermissionError('Only the requester and approvers may see this request');
      let token: ScopedToken | null = null;
      if (call.actor === record.requestedBy && record.status === 'approved' && record.claimedAt === null) {
        const claimed = await claim(call, record);
        if (claimed) ({ record, token } = claimed);
        else record = await findApproval(call, id);
      } else {
        await storage.appendAudit(
          successEvent(rt, call, 'approval.read', null, null, { approvalId: record.id }),
        );
      }
      return approvalView(record, rt.clock.now(), token);
    });
  }

  /** Decide a request; the note is validated inside the audited operation, so bad input is audited too. */
  async function decide(
    id: string,
    decision: 'approve' | 'deny',
    readNote: () => string | null,
    options: CallOptions | undefined,
  ): Promise<Approval> {
    const type = decision === 'approve' ? 'approval.approve' : 'approval.deny';
    return run(type, callSchema, options, async (call) => {
      const note = readNote();
      requireRole(call, 'approver', 'decide approval requests');
      const record = await findApproval(call, id);
      if (record.requestedBy === call.actor)
        throw new AgentVaultPermissionError('A requester cannot decide its own request');
      const now = rt.clock.now();
      const status = effectiveStatus(record, now);
      if (status !== 'pending') throw new AgentVaultConflictError(`Approval request is already ${status}`);
      const decided = await storage.decideApproval({
        tenant: call.tenant,
        id: record.id,
        decision: { decision, by: call.actor, note, at: now },
        now,
        event: successEvent(rt, call, type, null, null, { approvalId: record.id }),
      });
      emit({
        type: 'approval.decided',
        tenant: decided.tenant,
        approvalId: decided.id,
        requestedBy: decided.requestedBy,
        status: decided.status === 'approved' || decided.status === 'denied' ? decided.status : 'pending',
        decidedBy: call.actor,
        decision,
        note,
      });
      return approvalView(decided, now, null);
    });
  }

  async function approve(
    id: string,
    input: z.input<typeof approveSchema> = {},
    options?: CallOptions,
  ): Promise<Approval> {
    return decide(id, 'approve', () => parseInput(approveSchema, input, 'approval').comment ?? null, options);
  }

  async function deny(
    id: string,
    input: z.input<typeof denySchema> = {},
    options?: CallOptions,
  ): Promise<Approval> {
    return decide(id, 'deny', () => parseInput(denySchema, input, 'denial').reason ?? null, options);
  }

  async function listApprovals(options?: ListApprovalsOptions): Promise<Page<Approval>> {
    return run('approval.list', listApprovalsSchema, options, async (call, opts) => {
      if (!hasRole(call.principal, 'approver') && !hasRole(call.principal, 'admin')) {
        throw new AgentVaultPermissionError('Listing approval requests needs the approver or admin role');
      }
      const cursor = opts.cursor ? decodeCursor(opts.cursor, idCursor) : null;
      const now = rt.clock.now();
      // Expiry is read-time state, so `pending` and `expired` are filtered after the query.
      const storedStatus = opts.status === 'expired' ? undefined : opts.status;
      const records = await storage.listApprovals({
        tenant: call.tenant,
        ...(storedStatus ? { status: storedStatus } : {}),
        afterId: cursor?.after ?? null,
        limit: opts.limit + 1,
      });
      const scanned = records.slice(0, opts.limit);
      const last = scanned.at(-1);
      const items = scanned.filter(
        (r) => opts.status === undefined || effectiveStatus(r, now) === opts.status,
      );
      await storage.appendAudit(successEvent(rt, call, 'approval.list', null, null, { count: items.length }));
      return {
        items: items.map((r) => approvalView(r, now, null)),
        nextCursor: records.length > opts.limit && last ? encodeCursor({ after: last.id }) : null,
      };
    });
  }

  /**
   * Wait until a request is decided and return the minted token (requester only). Polls storage,
   * so a decision made on another instance is seen; a decision on this instance wakes it at once.
   * Denied → AgentVaultPermissionError; expired → AgentVaultGoneError; timeout →
   * AgentVaultApprovalPendingError; abort → the signal's reason.
   */
  async function waitForApproval(id: string, options?: WaitForApprovalOptions): Promise<ScopedToken> {
    // A refusal (or timeout) appends one approval.read failure; a success is audited by getApproval.
    return run('approval.read', waitForApprovalSchema, options, async (call, opts) => {
      const { timeoutMs, pollIntervalMs, signal, ...callOptions } = opts;
      return awaitDecision(call, id, timeoutMs, pollIntervalMs, signal, callOptions);
    });
  }

  async function awaitDecision(
    call: CallContext,
    id: string,
    timeoutMs: number,
    pollIntervalMs: number,
    signal: AbortSignal | undefined,
    callOptions: CallOptions,
  ): Promise<ScopedToken> {
    const deadline = performance.now() + timeoutMs;
    let wake = new AbortController();
    const stopListening = on('approval.decided', (event) => {
      if (event.approvalId === id) wake.abort();
    });
    try {
      for (;;) {
        signal?.throwIfAborted();
        const record = await findApproval(call, id);
        if (record.requestedBy !== call.actor)
          throw new AgentVaultPermissionError('Only the requester can collect the token');
        const status = effectiveStatus(record, rt.clock.now());
        if (status === 'denied') throw new AgentVaultPermissionError(`Approval request ${id} was denied`);
        if (status === 'expired') throw new AgentVaultGoneError(`Approval request ${id} expired undecided`);
        if (status === 'approved') {
          // getApproval audits its own outcome, success or failure: do not audit its refusal twice.
          const approval = await getApproval(id, callOptions).catch((error: unknown) => {
            throw error instanceof Object ? alreadyAudited(error) : error;
          });
          if (approval.token) return approval.token;
          throw new AgentVaultConflictError(`The token of approval request ${id} was already collected`);
        }
        const left = deadline - performance.now();
        if (left <= 0)
          throw new AgentVaultApprovalPendingError(`Approval request ${id} is still pending`, id);
        const signals = signal ? [wake.signal, signal] : [wake.signal];
        await sleep(Math.min(pollIntervalMs, left), undefined, { signal: AbortSignal.any(signals) }).catch(
          () => undefined,
        );
        if (wake.signal.aborted) wake = new AbortController();
      }
    } finally {
      stopListening();
    }
  }

  return {
    on,
    createAgentKey,
    listAgentKeys,
    revokeAgentKey,
    authenticate,
    requestToken,
    revokeToken,
    listTokens,
    getApproval,
    listApprovals,
    approve,
    deny,
    waitForApproval,
  };
}
