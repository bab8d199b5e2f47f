/**
 * Rows to records and back. Times are stored as bigint milliseconds (pg returns int8 as text, so
 * they are parsed here), bytes as bytea (copied out of pg's shared buffers), tags and other
 * structured fields as JSON.
 */
import type {
  AgentKeyRecord,
  ApprovalRecord,
  AuditEvent,
  RotationPolicy,
  SecretRecord,
  TokenRecord,
  VersionInfo,
  VersionRecord,
} from '@agentvault/core';

type Row = Record<string, unknown>;

export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

const str = (value: unknown) => value as string;
const strOrNull = (value: unknown) => (value ?? null) as string | null;

/** A Uint8Array of its own: pg's Buffers may be views into a shared slab. */
export function bytes(value: unknown): Uint8Array {
  return new Uint8Array(value as Buffer);
}

/** Bytes as a pg parameter (bytea). */
export function param(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function json(value: unknown): string {
  return JSON.stringify(value);
}

/** Columns of `secrets s LEFT JOIN secret_access a`, in the shape `toSecret` reads. */
export const SECRET_COLUMNS = `s.tenant, s.path, s.type, s.tier, s.description, s.tags, s.current_version,
  s.latest_version, s.created_at, s.created_by, s.updated_at, s.updated_by, a.accessed_at, s.expires_at,
  s.trashed_at, s.purge_at, s.pending_version, s.rotation_every_seconds, s.rotation_grace_seconds,
  s.rotation_next_at, s.rotation_failures`;

/** The four rotation columns are all set or all null (CHECK secrets_rotation_check). */
function toRotation(row: Row): RotationPolicy | null {
  if (row.rotation_next_at === null || row.rotation_next_at === undefined) return null;
  return {
    everySeconds: num(row.rotation_every_seconds),
    gracePeriodSeconds: num(row.rotation_grace_seconds),
    nextAt: num(row.rotation_next_at),
    failures: num(row.rotation_failures),
  };
}

/** A rotation policy as the values of its four columns, in the order of `ROTATION_COLUMNS`. */
export function rotationValues(rotation: RotationPolicy | null): (number | null)[] {
  return rotation === null
    ? [null, null, null, null]
    : [rotation.everySeconds, rotation.gracePeriodSeconds, rotation.nextAt, rotation.failures];
}

export const ROTATION_COLUMNS = [
  'rotation_every_seconds',
  'rotation_grace_seconds',
  'rotation_next_at',
  'rotation_failures',
] as const;

export function toSecret(row: Row): SecretRecord {
  return {
    tenant: str(row.tenant),
    path: str(row.path),
    type: row.type as SecretRecord['type'],
    tier: row.tier as SecretRecord['tier'],
    description: strOrNull(row.description),
    tags: { ...(row.tags as Record<string, string>) },
    currentVersion: num(row.current_version),
    latestVersion: num(row.latest_version),
    createdAt: num(row.created_at),
    createdBy: str(row.created_by),
    updatedAt: num(row.updated_at),
    updatedBy: str(row.updated_by),
    accessedAt: numOrNull(row.accessed_at),
    expiresAt: numOrNull(row.expires_at),
    trashedAt: numOrNull(row.trashed_at),
    purgeAt: numOrNull(row.purge_at),
    rotation: toRotation(row),
    pendingVersion: numOrNull(row.pending_version),
  };
}

export const VERSION_COLUMNS =
  'v.tenant, v.path, v.version, v.ciphertext, v.key_id, v.wrapped_key, v.created_at, v.created_by, v.retires_at';

export function toVersion(row: Row): VersionRecord {
  return {
    tenant: str(row.tenant),
    path: str(row.path),
    version: num(row.version),
    ciphertext: bytes(row.ciphertext),
    wrappedKey: { keyId: str(row.key_id), ciphertext: bytes(row.wrapped_key) },
    createdAt: num(row.created_at),
    createdBy: str(row.created_by),
    retiresAt: numOrNull(row.retires_at),
  };
}

export function toVersionInfo(row: Row): VersionInfo {
  return {
    tenant: str(row.tenant),
    path: str(row.path),
    version: num(row.version),
    keyId: str(row.key_id),
    createdAt: num(row.created_at),
    createdBy: str(row.created_by),
    retiresAt: numOrNull(row.retires_at),
  };
}

export const AUDIT_COLUMNS = `id, tenant, chain, seq, hash, type, path, actor, actor_description, ip, user_agent,
  ts, details, success, error, version`;

export function toAuditEvent(row: Row): AuditEvent {
  return {
    id: str(row.id),
    tenant: str(row.tenant),
    chain: num(row.chain),
    seq: num(row.seq),
    hash: (row.hash as Buffer).toString('hex'),
    type: row.type as AuditEvent['type'],
    path: strOrNull(row.path),
    actor: str(row.actor),
    actorDescription: strOrNull(row.actor_description),
    ip: strOrNull(row.ip),
    userAgent: strOrNull(row.user_agent),
    timestamp: num(row.ts),
    details: row.details as AuditEvent['details'],
    success: row.success as boolean,
    error: strOrNull(row.error),
    version: numOrNull(row.version),
  };
}

export function toAgentKey(row: Row): AgentKeyRecord {
  return {
    id: str(row.id),
    tenant: str(row.tenant),
    hash: str(row.hash),
    description: strOrNull(row.description),
    roles: [...(row.roles as AgentKeyRecord['roles'])],
    createdAt: num(row.created_at),
    createdBy: str(row.created_by),
    revokedAt: numOrNull(row.revoked_at),
  };
}

export function toToken(row: Row): TokenRecord {
  return {
    id: str(row.id),
    tenant: str(row.tenant),
    hash: str(row.hash),
    scope: str(row.scope),
    approvedTier: row.approved_tier as TokenRecord['approvedTier'],
    description: strOrNull(row.description),
    allowedIps: (row.allowed_ips ?? null) as string[] | null,
    maxUses: numOrNull(row.max_uses),
    usesRemaining: numOrNull(row.uses_remaining),
    createdAt: num(row.created_at),
    expiresAt: num(row.expires_at),
    issuedBy: str(row.issued_by),
    parentId: strOrNull(row.parent_id),
    approvalRequestId: strOrNull(row.approval_request_id),
    revokedAt: numOrNull(row.revoked_at),
  };
}

/** Parameters in the column order of `INSERT_TOKEN` (see tokens.ts). */
export function tokenValues(token: TokenRecord): unknown[] {
  return [
    token.id,
    token.tenant,
    token.hash,
    token.scope,
    token.approvedTier,
    token.description,
    token.allowedIps === null ? null : json(token.allowedIps),
    token.maxUses,
    token.usesRemaining,
    token.createdAt,
    token.expiresAt,
    token.issuedBy,
    token.parentId,
    token.approvalRequestId,
    token.revokedAt,
  ];
}

export function toApproval(row: Row): ApprovalRecord {
  const request = row.request as ApprovalRecord['request'];
  return {
    id: str(row.id),
    tenant: str(row.tenant),
    requestedBy: str(row.requested_by),
    requesterDescription: strOrNull(row.requester_description),
    request: { ...request, allowedIps: Array.isArray(request.allowedIps) ? [...request.allowedIps] : null },
    tier: row.tier as ApprovalRecord['tier'],
    status: row.status as ApprovalRecord['status'],
    decisions: (row.decisions as ApprovalRecord['decisions']).map((d) => ({ ...d })),
    requiredApprovals: num(row.required_approvals),
    createdAt: num(row.created_at),
    expiresAt: num(row.expires_at),
    decidedAt: numOrNull(row.decided_at),
    claimedAt: numOrNull(row.claimed_at),
    tokenId: strOrNull(row.token_id),
  };
}
