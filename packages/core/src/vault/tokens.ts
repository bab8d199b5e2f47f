/**
 * Scoped tokens: request (issued at once, or held for approval), mint (a root, or a child carved
 * out of its parent's budget in the same commit), revoke with every token below, list.
 */
import { z } from 'zod';
import type { TokenRecord } from '../contracts/records';
import type { Stored } from '../contracts/storage';
import { type Tier, tierRank } from '../domain/classification';
import { decodeCursor, encodeCursor } from '../domain/cursor';
import { entryWithin, normalizeAllowlistEntry } from '../domain/ip-allowlist';
import { parseScope, patternMatches, patternNamespace, type Scope, scopeWithin } from '../domain/scopes';
import { tokenActive } from '../domain/tokens';
import { AgentVaultNotFoundError, AgentVaultPermissionError, AgentVaultValidationError } from '../errors';
import { listTokensSchema, tokenRequestSchema } from '../schemas/access';
import { parseInput } from '../schemas/fields';
import { type CallOptions, callSchema } from '../schemas/secrets';
import { newToken, readOne } from './access-records';
import { issuedToken, type Page, type ScopedToken, type TokenInfo, tokenInfo } from './access-views';
import { openApprovalRequest } from './approvals';
import { appendEvent, operation, successEvent } from './auditing';
import { type CallContext, requireRole, tokenScope } from './authorization';
import { emitEvent } from './events';
import { carveOrThrow, emitIssued, mintWrites } from './minting';
import { commitWithRetry, put } from './records';
import type { Runtime } from './runtime';

export type TokenRequest = z.input<typeof tokenRequestSchema>;
export type ListTokensOptions = z.input<typeof listTokensSchema>;

const idCursor = z.object({ after: z.string() });
const PAGE = 100;
/** Mints from one limited parent carve its budget one commit at a time: allow more rounds. */
const MINT_ATTEMPTS = 16;

/** Actions that reach secret values; a grant of only `list` does not raise the tier. */
const VALUE_ACTIONS = new Set(['read', 'write', 'rotate', 'delete', '*']);

type TokenFields = Pick<TokenRecord, 'scope' | 'approvedTier' | 'description' | 'allowedIps'>;

/** Revoke one token if it is live, with its event; the top of a revoke is audited even when already revoked. */
async function revokeOne(
  rt: Runtime,
  call: CallContext,
  id: string,
  details: { top: boolean; via?: string },
): Promise<TokenRecord | null> {
  const changed = await commitWithRetry(async () => {
    const stored = await readOne(rt, 'token', call.tenant, id);
    if (!stored) return null;
    const event = successEvent(rt, call, 'token.revoke', null, null, {
      tokenId: id,
      ...(details.via ? { via: details.via } : {}),
    });
    if (stored.record.revokedAt !== null) {
      if (details.top) await appendEvent(rt, event);
      return { record: stored.record, fresh: false };
    }
    const next: TokenRecord = { ...stored.record, revokedAt: rt.clock.now() };
    await rt.storage.commit({ writes: [put('token', next, stored.rev)], events: [event] });
    return { record: next, fresh: true };
  });
  if (!changed) return null;
  rt.tokens.delete(changed.record.hash);
  if (changed.fresh)
    emitEvent(rt.listeners, rt.logger, { type: 'token.revoked', tenant: call.tenant, tokenId: id, revokedBy: call.actor });
  return changed.record;
}

/**
 * Revoke every token below these (children, recursively), including already revoked subtrees, so a
 * revoke that was interrupted is completed by the next. A child minted before its parent's revoke
 * committed is listed here; one minted after finds its parent's revision changed and is refused.
 */
async function revokeBelow(rt: Runtime, call: CallContext, ids: string[]): Promise<void> {
  const stack = [...ids];
  for (let parentId = stack.pop(); parentId !== undefined; parentId = stack.pop()) {
    let afterId: string | null = null;
    for (;;) {
      const children: Stored<'token'>[] = await rt.storage.listRecords({
        kind: 'token',
        tenant: call.tenant,
        afterId,
        limit: PAGE,
        where: { parentId },
      });
      for (const child of children) {
        if (child.record.revokedAt === null) await revokeOne(rt, call, child.record.id, { top: false, via: parentId });
        stack.push(child.record.id);
      }
      const last = children.at(-1);
      if (!last || children.length < PAGE) break;
      afterId = last.record.id;
    }
  }
}

/** Revoke a token and every token minted from it. */
export async function revokeTree(rt: Runtime, call: CallContext, id: string): Promise<TokenRecord> {
  const record = await revokeOne(rt, call, id, { top: true });
  if (!record) throw new AgentVaultNotFoundError(`Token not found: '${id}'`);
  await revokeBelow(rt, call, [id]);
  return record;
}

/** Revoke every token an agent key minted (`issuedBy = key:<id>`) and every token below them. */
export async function revokeIssuedBy(rt: Runtime, call: CallContext, actor: string): Promise<void> {
  let afterId: string | null = null;
  for (;;) {
    const tokens: Stored<'token'>[] = await rt.storage.listRecords({
      kind: 'token',
      tenant: call.tenant,
      afterId,
      limit: PAGE,
      where: { issuedBy: actor },
    });
    for (const token of tokens) {
      if (token.record.revokedAt === null) await revokeOne(rt, call, token.record.id, { top: false, via: actor });
    }
    await revokeBelow(rt, call, tokens.map((t) => t.record.id));
    const last = tokens.at(-1);
    if (!last || tokens.length < PAGE) return;
    afterId = last.record.id;
  }
}

export function tokenOperations(rt: Runtime) {
  const { storage } = rt;

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
      if (value === null) issues.push({ path: ['allowedIps', index], message: 'not an IPv4/IPv6 address or CIDR range' });
      return value ?? '';
    });
    if (issues.length > 0) throw new AgentVaultValidationError('Invalid token request', issues);
    return [...new Set(normalized)];
  }

  function issueEvent(call: CallContext, token: TokenRecord) {
    return successEvent(rt, call, 'token.issue', null, null, {
      tokenId: token.id,
      scope: token.scope,
      approvedTier: token.approvedTier,
    });
  }

  /** A root token; minted by an agent key, the commit also checks the key is still live. */
  async function mintRoot(
    call: CallContext,
    fields: TokenFields,
    maxUses: number | null,
    ttlSeconds: number,
  ): Promise<ScopedToken> {
    const p = call.principal;
    const minted = await commitWithRetry(async () => {
      const key = p.kind === 'key' ? await readOne(rt, 'agent_key', call.tenant, p.id) : undefined;
      const now = rt.clock.now();
      const token = newToken(
        {
          ...fields,
          maxUses,
          usesRemaining: maxUses,
          createdAt: now,
          expiresAt: now + ttlSeconds * 1000,
          issuedBy: call.actor,
          approvalRequestId: null,
        },
        call.tenant,
        null,
      );
      await storage.commit({ writes: mintWrites(token.record, null, key), events: [issueEvent(call, token.record)] });
      return token;
    });
    emitIssued(rt, minted.record);
    return issuedToken(minted.record, minted.value);
  }

  /** A child of `parentId`, its uses carved out of the parent's in the same commit. */
  async function mintChild(
    call: CallContext,
    parentId: string,
    fields: TokenFields,
    maxUses: number | null,
    ttlSeconds: number,
  ): Promise<ScopedToken> {
    const minted = await commitWithRetry(async () => {
      const parent = await readOne(rt, 'token', call.tenant, parentId);
      const now = rt.clock.now();
      const carved = carveOrThrow(parent, { maxUses, expiresAt: now + ttlSeconds * 1000 }, now);
      const token = newToken(
        {
          ...fields,
          maxUses: carved.maxUses,
          usesRemaining: carved.maxUses,
          createdAt: now,
          expiresAt: carved.expiresAt,
          issuedBy: call.actor,
          approvalRequestId: null,
        },
        call.tenant,
        parent!.record,
      );
      await storage.commit({
        writes: mintWrites(token.record, { stored: parent!, next: carved.parentNext }, undefined),
        events: [issueEvent(call, token.record)],
      });
      return token;
    }, MINT_ATTEMPTS);
    emitIssued(rt, minted.record);
    return issuedToken(minted.record, minted.value);
  }

  /**
   * Request a scoped token. Standard-tier scopes are issued at once; sensitive ones wait for
   * approval unless the vault allows a waiver; critical ones always wait. A token may mint a
   * narrower token of its own (never broader, never longer-lived), whose uses come out of its own.
   */
  async function requestToken(request: TokenRequest, options?: CallOptions): Promise<ScopedToken> {
    return operation(rt, { type: 'token.request', path: null }, callSchema, options, async (call, _options, facts) => {
      const data = parseInput(tokenRequestSchema, request, 'token request');
      const scope = parseScope(data.scope);
      const ttlSeconds = data.ttlSeconds ?? rt.config.defaultTokenTtlSeconds;
      if (ttlSeconds > rt.config.maxTokenTtlSeconds) {
        throw new AgentVaultValidationError('Invalid token request', [
          { path: ['ttlSeconds'], message: `at most ${rt.config.maxTokenTtlSeconds} seconds` },
        ]);
      }
      let allowedIps = normalizeIps(data.allowedIps);
      const maxUses = data.maxUses ?? null;
      const description = data.description ?? null;
      const p = call.principal;

      if (p.kind === 'token') {
        const parent = p.token;
        if (!scopeWithin(scope, tokenScope(parent))) {
          throw new AgentVaultPermissionError(`A token cannot mint a token broader than its own scope '${parent.scope}'`);
        }
        if (parent.allowedIps !== null) {
          if (allowedIps === null) allowedIps = parent.allowedIps;
          else if (!allowedIps.every((entry) => entryWithin(entry, parent.allowedIps!))) {
            throw new AgentVaultPermissionError('A token cannot mint a token usable from addresses outside its own allowlist');
          }
        }
        const tier = await tierOfScope(call.tenant, scope);
        const waived = tier === 'sensitive' && data.waiveApproval === true && rt.config.allowSensitiveWaiver;
        if (tier !== 'standard' && tierRank(tier) > tierRank(parent.approvedTier) && !waived) {
          // Reaching secrets above its own approved tier needs a human, as for any requester; the
          // token minted on approval is still the parent's child (revoked with it, carved from its
          // budget, never outliving it). Refuse now what the claim would refuse.
          const stored = await readOne(rt, 'token', call.tenant, parent.id);
          const now = rt.clock.now();
          carveOrThrow(stored, { maxUses, expiresAt: now + ttlSeconds * 1000 }, now);
          facts.type = 'approval.request';
          return openApprovalRequest(rt, call, { scope, tier, ttlSeconds, description, allowedIps, maxUses }, stored!.record);
        }
        facts.type = 'token.issue';
        const fields = { scope: scope.text, approvedTier: tier, description, allowedIps };
        return mintChild(call, parent.id, fields, maxUses, ttlSeconds);
      }

      requireRole(call, 'admin', 'request tokens');
      const tier = await tierOfScope(call.tenant, scope);
      const waived = tier === 'sensitive' && data.waiveApproval === true && rt.config.allowSensitiveWaiver;
      if (tier === 'standard' || waived) {
        facts.type = 'token.issue';
        return mintRoot(call, { scope: scope.text, approvedTier: tier, description, allowedIps }, maxUses, ttlSeconds);
      }
      facts.type = 'approval.request';
      const wanted = { scope, tier: tier as Exclude<Tier, 'standard'>, ttlSeconds, description, allowedIps, maxUses };
      return openApprovalRequest(rt, call, wanted, null);
    });
  }

  /** Revoke a token and every token minted from it. Admins may revoke any; a token may revoke itself and its children. */
  async function revokeToken(id: string, options?: CallOptions): Promise<TokenInfo> {
    return operation(rt, { type: 'token.revoke', path: null }, callSchema, options, async (call) => {
      const tokenId = String(id);
      const p = call.principal;
      if (p.kind === 'token') {
        let cursor: TokenRecord | null = (await readOne(rt, 'token', call.tenant, tokenId))?.record ?? null;
        while (cursor && cursor.id !== p.id)
          cursor = cursor.parentId ? ((await readOne(rt, 'token', call.tenant, cursor.parentId))?.record ?? null) : null;
        if (!cursor) throw new AgentVaultPermissionError('A token may only revoke itself and the tokens minted from it');
      } else {
        requireRole(call, 'admin', 'revoke tokens');
      }
      return tokenInfo(await revokeTree(rt, call, tokenId));
    });
  }

  async function listTokens(options?: ListTokensOptions): Promise<Page<TokenInfo>> {
    return operation(rt, { type: 'token.list', path: null }, listTokensSchema, options, async (call, opts) => {
      requireRole(call, 'admin', 'list tokens');
      const cursor = opts.cursor ? decodeCursor(opts.cursor, idCursor) : null;
      const now = rt.clock.now();
      const tokens = await storage.listRecords({
        kind: 'token',
        tenant: call.tenant,
        afterId: cursor?.after ?? null,
        limit: opts.limit + 1,
      });
      const scanned = tokens.slice(0, opts.limit).map((t) => t.record);
      const last = scanned.at(-1);
      // Liveness is time- and use-dependent, so `activeOnly` filters after the query, as approvals' expiry does.
      const items = opts.activeOnly ? scanned.filter((t) => tokenActive(t, now)) : scanned;
      await appendEvent(rt, successEvent(rt, call, 'token.list', null, null, { count: items.length }));
      return {
        items: items.map(tokenInfo),
        nextCursor: tokens.length > opts.limit && last ? encodeCursor({ after: last.id }) : null,
      };
    });
  }

  return { requestToken, revokeToken, listTokens };
}
