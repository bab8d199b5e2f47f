/** Server bodies (snake_case, ISO-8601 strings) as the vault's own result types (camelCase, Dates). */
import type {
  Approval,
  AuditEventView,
  AuditPage,
  ImportResult,
  Page,
  RotateResult,
  ScopedToken,
  Secret,
  SecretMetadata,
  SecretVersion,
  TokenInfo,
} from '@agentvault/core';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire bodies are read field by field below
type Wire = Record<string, any>;

const date = (text: string): Date => new Date(text);
const dateOrNull = (text: string | null | undefined): Date | null => (text ? new Date(text) : null);

export function toMetadata(w: Wire): SecretMetadata {
  return {
    path: w.path,
    version: w.version,
    latestVersion: w.latest_version ?? w.version,
    tier: w.tier,
    type: w.type ?? 'custom',
    description: w.description ?? null,
    tags: w.tags ?? {},
    createdAt: date(w.created_at ?? w.updated_at),
    createdBy: w.created_by ?? '',
    updatedAt: date(w.updated_at ?? w.created_at),
    updatedBy: w.updated_by ?? '',
    accessedAt: dateOrNull(w.accessed_at),
    expiresAt: dateOrNull(w.expires_at),
    trashedAt: dateOrNull(w.trashed_at),
    purgeAt: dateOrNull(w.purge_at),
  };
}

export function toSecret(w: Wire): Secret {
  return { ...toMetadata(w), value: w.value, accessedAt: date(w.accessed_at) };
}

export function toSecretList(w: Wire): SecretPage {
  const page: SecretPage = { items: (w.items as Wire[]).map(toMetadata), total: w.total };
  if (typeof w.next_cursor === 'string') page.nextCursor = w.next_cursor;
  return page;
}

export function toVersions(w: Wire): SecretVersion[] {
  return (w.versions as Wire[]).map((v) => ({
    version: v.version,
    createdAt: date(v.created_at),
    createdBy: v.created_by,
    isActive: v.is_active,
    retiresAt: dateOrNull(v.retires_at),
    keyId: v.key_id,
  }));
}

export function toRotateResult(w: Wire): RotateResult {
  return {
    path: w.path,
    oldVersion: w.old_version,
    newVersion: w.new_version,
    expiresAt: date(w.old_expires_at),
  };
}

/**
 * A token that was granted: its `id`, `value` (shown once), `expiresAt` and `approvedTier` are
 * there, so code that got one from `waitForApproval` or an `approvalStatus === 'approved'` check
 * needs no `!`.
 */
export interface IssuedToken extends ScopedToken {
  id: string;
  value: string;
  expiresAt: Date;
  approvalStatus: 'approved';
  approvedTier: NonNullable<ScopedToken['approvedTier']>;
}

/** A token request waiting for an approver (202): no value yet; `approvalRequestId` names the request. */
export interface PendingToken extends ScopedToken {
  id: null;
  value: null;
  expiresAt: null;
  approvalStatus: 'pending';
  approvalRequestId: string;
  approvedTier: null;
}

/**
 * What `requestToken` answers: issued (201) or waiting for approval (202), told apart by
 * `approvalStatus`. `approveUrl` is where an approver decides (pending only; null otherwise).
 */
export type RequestedToken = (IssuedToken | PendingToken) & { approveUrl: string | null };

/** A listing page as the seed SDK types it: `nextCursor` is absent (undefined) on the last page. */
export interface SecretPage {
  items: SecretMetadata[];
  nextCursor?: string;
  total: number;
}

export function toToken(w: Wire): RequestedToken {
  // The wire is checked by the server's schema: a 201 carries every issued field, a 202 none of them.
  return {
    id: w.id ?? null,
    value: w.value ?? null,
    scope: w.scope,
    ttlSeconds: w.ttl_seconds,
    expiresAt: dateOrNull(w.expires_at),
    description: w.description ?? null,
    allowedIps: w.allowed_ips ?? null,
    maxUses: w.max_uses ?? null,
    usesRemaining: w.uses_remaining ?? null,
    approvalStatus: w.approval_status,
    approvalRequestId: w.approval_request_id ?? null,
    approvedTier: w.approved_tier ?? null,
    approveUrl: w.approve_url ?? null,
  } as RequestedToken;
}

export function toIssuedToken(w: Wire): IssuedToken {
  return withoutApproveUrl(toToken(w)) as IssuedToken;
}

export function toTokenInfo(w: Wire): TokenInfo {
  return {
    id: w.id,
    scope: w.scope,
    approvedTier: w.approved_tier,
    description: w.description ?? null,
    allowedIps: w.allowed_ips ?? null,
    maxUses: w.max_uses ?? null,
    usesRemaining: w.uses_remaining ?? null,
    createdAt: date(w.created_at),
    expiresAt: date(w.expires_at),
    issuedBy: w.issued_by,
    parentId: w.parent_id ?? null,
    approvalRequestId: w.approval_request_id ?? null,
    revokedAt: dateOrNull(w.revoked_at),
  };
}

export function toApproval(w: Wire): Approval {
  const token = w.token ? toToken(w.token) : null;
  return {
    id: w.id,
    status: w.status ?? w.approval_status,
    requestedBy: w.requested_by,
    requesterDescription: w.requester_description ?? null,
    scope: w.scope,
    tier: w.tier,
    ttlSeconds: w.ttl_seconds,
    description: w.description ?? null,
    allowedIps: w.allowed_ips ?? null,
    maxUses: w.max_uses ?? null,
    requiredApprovals: w.required_approvals,
    decisions: (w.decisions as Wire[]).map((d) => ({
      decision: d.decision,
      by: d.by,
      note: d.note ?? null,
      at: date(d.at),
    })),
    createdAt: date(w.created_at),
    expiresAt: date(w.expires_at),
    decidedAt: dateOrNull(w.decided_at),
    claimedAt: dateOrNull(w.claimed_at),
    tokenId: w.token_id ?? null,
    token: token ? withoutApproveUrl(token) : null,
  };
}

function withoutApproveUrl(token: RequestedToken): ScopedToken {
  const { approveUrl: _approveUrl, ...rest } = token;
  return rest;
}

export function toApprovalPage(w: Wire): Page<Approval> {
  return { items: (w.items as Wire[]).map(toApproval), nextCursor: w.next_cursor ?? null };
}

function toAuditEvent(e: Wire): AuditEventView {
  return {
    id: e.id,
    type: e.type,
    path: e.path ?? null,
    actor: e.actor,
    actorDescription: e.actor_description ?? null,
    ip: e.ip ?? null,
    userAgent: e.user_agent ?? null,
    timestamp: date(e.timestamp),
    success: e.success,
    error: e.error ?? null,
    version: e.version ?? null,
    details: e.details ?? {},
    seq: e.seq,
  };
}

export function toAuditPage(w: Wire): AuditPage {
  return { events: (w.events as Wire[]).map(toAuditEvent), nextCursor: w.next_cursor ?? null };
}

export function toImportResult(w: Wire): ImportResult {
  return {
    created: w.created,
    updated: w.updated,
    skipped: w.skipped,
    dryRun: w.dry_run,
    counts: w.counts,
    secrets: w.secrets,
  };
}
