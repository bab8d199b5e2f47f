/**
 * Rows to records and back. Times are bigint milliseconds (pg returns int8 as text, parsed here),
 * bytes are bytea (copied out of pg's shared buffers), and every record other than a secret or a
 * version is one jsonb document in `records`, bytes in it as `{ "$bytes": base64 }`.
 */
import type { AuditEvent, RotationPolicy, SecretRecord, VersionRecord } from '@agentvault/core';
import type { Tables } from './tables';

type Row = Record<string, unknown>;

export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

const strOrNull = (value: unknown) => (value ?? null) as string | null;

/** A Uint8Array of its own (pg's Buffers may be views into a shared slab); `\x…` text from to_jsonb too. */
export function bytes(value: unknown): Uint8Array {
  if (typeof value === 'string') return new Uint8Array(Buffer.from(value.slice(2), 'hex'));
  return new Uint8Array(value as Buffer);
}

/** Bytes as a pg parameter (bytea). */
export function param(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export const json = (value: unknown): string => JSON.stringify(value);

/** A record as the jsonb text of `records.data`. */
export function encodeRecord(record: unknown): string {
  // The holder's own value: a Buffer would arrive here already turned into JSON by its toJSON.
  return JSON.stringify(record, function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    return raw instanceof Uint8Array ? { $bytes: Buffer.from(raw).toString('base64') } : value;
  });
}

export function decodeRecord<T>(text: string): T {
  return JSON.parse(text, (_key, value: unknown) => {
    const b64 = (value as { $bytes?: unknown } | null)?.$bytes;
    return typeof b64 === 'string' ? new Uint8Array(Buffer.from(b64, 'base64')) : value;
  }) as T;
}

/** The stored columns of a secret (accessed_at lives in secret_access), in `secretValues` order. */
export const SECRET_FIELDS = [
  'tenant', 'path', 'type', 'tier', 'description', 'tags', 'current_version', 'latest_version',
  'created_at', 'created_by', 'updated_at', 'updated_by', 'expires_at', 'trashed_at', 'purge_at',
  'pending_version', 'rotation_every_seconds', 'rotation_grace_seconds', 'rotation_next_at', 'rotation_failures',
  'version_retention',
];

export function secretValues(s: SecretRecord): unknown[] {
  const r = s.rotation;
  return [
    s.tenant, s.path, s.type, s.tier, s.description, json(s.tags), s.currentVersion, s.latestVersion,
    s.createdAt, s.createdBy, s.updatedAt, s.updatedBy, s.expiresAt, s.trashedAt, s.purgeAt,
    s.pendingVersion, r?.everySeconds ?? null, r?.gracePeriodSeconds ?? null, r?.nextAt ?? null, r?.failures ?? null,
    s.versionRetention ? json(s.versionRetention) : null,
  ];
}

export const VERSION_FIELDS = [
  'tenant', 'path', 'version', 'ciphertext', 'key_id', 'wrapped_key', 'created_at', 'created_by', 'retires_at',
];

export function versionValues(v: VersionRecord): unknown[] {
  return [
    v.tenant, v.path, v.version, param(v.ciphertext), v.wrappedKey.keyId, param(v.wrappedKey.ciphertext),
    v.createdAt, v.createdBy, v.retiresAt,
  ];
}

/** `secrets s LEFT JOIN secret_access a` as the columns `toSecret` reads, with the revision. */
export const SECRET_COLUMNS = `${SECRET_FIELDS.map((f) => `s.${f}`).join(', ')}, a.accessed_at, s.rev`;

/** The same columns for a listing of `secrets s`: accessed_at by primary key, row by row. */
export const listedSecretColumns = (t: Tables) =>
  SECRET_COLUMNS.replace('a.accessed_at', `(SELECT a.accessed_at FROM ${t.access} a WHERE a.tenant = s.tenant AND a.path = s.path) AS accessed_at`);

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

export function toSecret(row: Row): SecretRecord {
  return {
    tenant: row.tenant as string,
    path: row.path as string,
    type: row.type as SecretRecord['type'],
    tier: row.tier as SecretRecord['tier'],
    description: strOrNull(row.description),
    tags: { ...(row.tags as Record<string, string>) },
    currentVersion: num(row.current_version),
    latestVersion: num(row.latest_version),
    createdAt: num(row.created_at),
    createdBy: row.created_by as string,
    updatedAt: num(row.updated_at),
    updatedBy: row.updated_by as string,
    accessedAt: numOrNull(row.accessed_at),
    expiresAt: numOrNull(row.expires_at),
    trashedAt: numOrNull(row.trashed_at),
    purgeAt: numOrNull(row.purge_at),
    rotation: toRotation(row),
    pendingVersion: numOrNull(row.pending_version),
    // Absent and null both mean "the vault's policy": only a secret's own policy is carried.
    ...(row.version_retention ? { versionRetention: row.version_retention as SecretRecord['versionRetention'] } : {}),
  };
}

export function toVersion(row: Row): VersionRecord {
  return {
    tenant: row.tenant as string,
    path: row.path as string,
    version: num(row.version),
    ciphertext: bytes(row.ciphertext),
    wrappedKey: { keyId: row.key_id as string, ciphertext: bytes(row.wrapped_key) },
    createdAt: num(row.created_at),
    createdBy: row.created_by as string,
    retiresAt: numOrNull(row.retires_at),
  };
}

/** Each event field's column, in column order. */
export const AUDIT_COLUMN_OF: Record<keyof AuditEvent, string> = {
  id: 'id', tenant: 'tenant', seq: 'seq', type: 'type', path: 'path', actor: 'actor', actorDescription: 'actor_description',
  ip: 'ip', userAgent: 'user_agent', timestamp: 'ts', details: 'details', success: 'success', error: 'error', version: 'version',
};
export const AUDIT_COLUMNS = Object.values(AUDIT_COLUMN_OF).join(', ');

/** An event from its row: every column by its field's name, the bigint ones (seq, ts) parsed. */
export function toAuditEvent(row: Row): AuditEvent {
  const event = Object.fromEntries(Object.entries(AUDIT_COLUMN_OF).map(([field, column]) => [field, row[column]]));
  return { ...event, seq: num(row.seq), timestamp: num(row.ts) } as AuditEvent;
}
