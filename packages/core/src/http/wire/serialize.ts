/** The vault's views (camelCase, Dates) as wire bodies (snake_case, ISO-8601 strings). */
import type { z } from 'zod';
import type { Approval, ScopedToken, TokenInfo } from '../../vault/access';
import type { ImportResult } from '../../vault/secrets';
import type {
  AuditEventView,
  AuditPage,
  RotateResult,
  Secret,
  SecretList,
  SecretMetadata,
  SecretVersion,
} from '../../vault/views';
import type {
  approvalListWire,
  approvalWire,
  auditEventWire,
  auditPageWire,
  importResultWire,
  issuedTokenWire,
  pendingTokenWire,
  rotateResultWire,
  secretListWire,
  secretMetadataWire,
  secretVersionsWire,
  secretWire,
  tokenInfoWire,
} from './responses';

type Wire<S extends z.ZodType> = z.input<S>;

/**
 * `toISOString` of recent instants, in a small direct-mapped table: a read repeats its secret's
 * `created_at` and `updated_at` on every call. Holds timestamps only (never a value).
 */
const ISO_SLOTS = 256;
const isoTimes = new Float64Array(ISO_SLOTS).fill(Number.NaN);
const isoTexts: string[] = new Array<string>(ISO_SLOTS).fill('');

export function iso(date: Date): string {
  const time = date.getTime();
  const slot = time & (ISO_SLOTS - 1);
  if (isoTimes[slot] === time) return isoTexts[slot]!;
  const text = date.toISOString(); // throws on an invalid date, as before
  isoTimes[slot] = time;
  isoTexts[slot] = text;
  return text;
}
const isoOrNull = (date: Date | null) => (date === null ? null : iso(date));

export function metadataToWire(m: SecretMetadata): Wire<typeof secretMetadataWire> {
  return {
    path: m.path,
    version: m.version,
    latest_version: m.latestVersion,
    tier: m.tier,
    type: m.type,
    description: m.description,
    tags: m.tags,
    created_at: iso(m.createdAt),
    created_by: m.createdBy,
    updated_at: iso(m.updatedAt),
    updated_by: m.updatedBy,
    accessed_at: isoOrNull(m.accessedAt),
    expires_at: isoOrNull(m.expiresAt),
    trashed_at: isoOrNull(m.trashedAt),
    purge_at: isoOrNull(m.purgeAt),
  };
}

export function secretToWire(s: Secret): Wire<typeof secretWire> {
  return { ...metadataToWire(s), value: s.value, accessed_at: iso(s.accessedAt) };
}

const json = JSON.stringify;
/** Strings JSON writes as they are (no quote, backslash, control or surrogate): most paths, ids and values. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const VERBATIM = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;
const text = (value: string | number | null | Record<string, string>) =>
  typeof value === 'string' && VERBATIM.test(value) ? `"${value}"` : json(value);
const isoText = (date: Date | null) => (date === null ? 'null' : `"${iso(date)}"`);

/**
 * `JSON.stringify(secretToWire(s))`, written out for the hottest response of the API (a read):
 * the same text, without the intermediate object. A property test holds the two equal.
 */
export function secretJson(s: Secret): string {
  return (
    `{"path":${text(s.path)},"version":${text(s.version)},"latest_version":${text(s.latestVersion)}`
    + `,"tier":${text(s.tier)},"type":${text(s.type)},"description":${text(s.description)}`
    + `,"tags":${text(s.tags)},"created_at":${isoText(s.createdAt)},"created_by":${text(s.createdBy)}`
    + `,"updated_at":${isoText(s.updatedAt)},"updated_by":${text(s.updatedBy)}`
    + `,"accessed_at":${isoText(s.accessedAt)},"expires_at":${isoText(s.expiresAt)}`
    + `,"trashed_at":${isoText(s.trashedAt)},"purge_at":${isoText(s.purgeAt)},"value":${text(s.value)}}`
  );
}

export function secretListToWire(list: SecretList): Wire<typeof secretListWire> {
  return { items: list.items.map(metadataToWire), total: list.total, next_cursor: list.nextCursor };
}

export function versionsToWire(versions: SecretVersion[]): Wire<typeof secretVersionsWire> {
  return {
    versions: versions.map((v) => ({
      version: v.version,
      created_at: iso(v.createdAt),
      created_by: v.createdBy,
      is_active: v.isActive,
      retires_at: isoOrNull(v.retiresAt),
      key_id: v.keyId,
    })),
  };
}

export function rotateToWire(r: RotateResult): Wire<typeof rotateResultWire> {
  return {
    path: r.path,
    old_version: r.oldVersion,
    new_version: r.newVersion,
    old_expires_at: iso(r.expiresAt),
  };
}

const tokenFields = (t: ScopedToken) => ({
  scope: t.scope,
  ttl_seconds: t.ttlSeconds,
  description: t.description,
  allowed_ips: t.allowedIps,
  max_uses: t.maxUses,
  uses_remaining: t.usesRemaining,
});

export function issuedTokenToWire(t: ScopedToken): Wire<typeof issuedTokenWire> {
  if (t.id === null || t.value === null || t.expiresAt === null || t.approvedTier === null)
    throw new TypeError('issuedTokenToWire: the token was not issued');
  return {
    id: t.id,
    value: t.value,
    ...tokenFields(t),
    expires_at: iso(t.expiresAt),
    approval_status: 'approved',
    approval_request_id: t.approvalRequestId,
    approved_tier: t.approvedTier,
  };
}

export function pendingTokenToWire(t: ScopedToken, approveUrl: string): Wire<typeof pendingTokenWire> {
  if (t.approvalRequestId === null) throw new TypeError('pendingTokenToWire: no approval request');
  return {
    approval_status: 'pending',
    approval_request_id: t.approvalRequestId,
    message: `Approval required: an approver must approve request ${t.approvalRequestId} before the token is issued.`,
    approve_url: approveUrl,
    id: null,
    value: null,
    ...tokenFields(t),
    expires_at: null,
    approved_tier: null,
  };
}

export function tokenInfoToWire(t: TokenInfo): Wire<typeof tokenInfoWire> {
  return {
    id: t.id,
    scope: t.scope,
    approved_tier: t.approvedTier,
    description: t.description,
    allowed_ips: t.allowedIps,
    max_uses: t.maxUses,
    uses_remaining: t.usesRemaining,
    created_at: iso(t.createdAt),
    expires_at: iso(t.expiresAt),
    issued_by: t.issuedBy,
    parent_id: t.parentId,
    approval_request_id: t.approvalRequestId,
    revoked_at: isoOrNull(t.revokedAt),
  };
}

export function approvalToWire(a: Approval): Wire<typeof approvalWire> {
  return {
    id: a.id,
    status: a.status,
    approval_status: a.status,
    approval_request_id: a.id,
    requested_by: a.requestedBy,
    requester_description: a.requesterDescription,
    scope: a.scope,
    tier: a.tier,
    ttl_seconds: a.ttlSeconds,
    description: a.description,
    allowed_ips: a.allowedIps,
    max_uses: a.maxUses,
    required_approvals: a.requiredApprovals,
    decisions: a.decisions.map((d) => ({ decision: d.decision, by: d.by, note: d.note, at: iso(d.at) })),
    created_at: iso(a.createdAt),
    expires_at: iso(a.expiresAt),
    decided_at: isoOrNull(a.decidedAt),
    claimed_at: isoOrNull(a.claimedAt),
    token_id: a.tokenId,
    token: a.token ? issuedTokenToWire(a.token) : null,
  };
}

export function approvalListToWire(page: {
  items: Approval[];
  nextCursor: string | null;
}): Wire<typeof approvalListWire> {
  return { items: page.items.map(approvalToWire), next_cursor: page.nextCursor };
}

function auditEventToWire(e: AuditEventView): Wire<typeof auditEventWire> {
  return {
    id: e.id,
    type: e.type,
    path: e.path,
    actor: e.actor,
    actor_description: e.actorDescription,
    ip: e.ip,
    user_agent: e.userAgent,
    timestamp: iso(e.timestamp),
    success: e.success,
    error: e.error,
    version: e.version,
    details: e.details,
    seq: e.seq,
  };
}

export function auditPageToWire(page: AuditPage): Wire<typeof auditPageWire> {
  return { events: page.events.map(auditEventToWire), next_cursor: page.nextCursor };
}

export function importResultToWire(r: ImportResult): Wire<typeof importResultWire> {
  return {
    created: r.created,
    updated: r.updated,
    skipped: r.skipped,
    dry_run: r.dryRun,
    counts: r.counts,
    secrets: r.secrets,
  };
}
