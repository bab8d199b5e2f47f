/** What the vault returns: records turned into caller-facing shapes (Dates, no storage internals). */
import type {
  AuditDetails,
  AuditEvent,
  AuditEventType,
  SecretRecord,
  VersionInfo,
} from '../contracts/records';
import type { SecretType, Tier } from '../domain/classification';

export interface SecretMetadata {
  path: string;
  /** The current version. */
  version: number;
  latestVersion: number;
  tier: Tier;
  type: SecretType;
  description: string | null;
  tags: Record<string, string>;
  createdAt: Date;
  createdBy: string;
  updatedAt: Date;
  updatedBy: string;
  accessedAt: Date | null;
  expiresAt: Date | null;
  trashedAt: Date | null;
  purgeAt: Date | null;
}

export interface Secret extends SecretMetadata {
  value: string;
  /** The version served (the current one unless a version was asked for). */
  version: number;
  accessedAt: Date;
}

export interface SecretVersion {
  version: number;
  createdAt: Date;
  createdBy: string;
  /** True for the current version. */
  isActive: boolean;
  /** When a rotated-out version stops being readable; null = no limit. */
  retiresAt: Date | null;
  keyId: string;
}

export interface SecretList {
  items: SecretMetadata[];
  nextCursor: string | null;
  total: number;
}

export interface RotateResult {
  path: string;
  newVersion: number;
  oldVersion: number;
  /** When the old version stops being readable. */
  expiresAt: Date;
}

export interface AuditEventView {
  id: string;
  type: AuditEventType;
  path: string | null;
  actor: string;
  actorDescription: string | null;
  ip: string | null;
  userAgent: string | null;
  timestamp: Date;
  success: boolean;
  error: string | null;
  version: number | null;
  details: AuditDetails;
  /** Position in the tenant's trail (1, 2, 3…), what checkpoints seal. */
  seq: number;
}

export interface AuditPage {
  events: AuditEventView[];
  nextCursor: string | null;
}

const date = (ms: number): Date => new Date(ms);
const dateOrNull = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export function toMetadata(record: SecretRecord): SecretMetadata {
  return {
    path: record.path,
    version: record.currentVersion,
    latestVersion: record.latestVersion,
    tier: record.tier,
    type: record.type,
    description: record.description,
    tags: { ...record.tags },
    createdAt: date(record.createdAt),
    createdBy: record.createdBy,
    updatedAt: date(record.updatedAt),
    updatedBy: record.updatedBy,
    accessedAt: dateOrNull(record.accessedAt),
    expiresAt: dateOrNull(record.expiresAt),
    trashedAt: dateOrNull(record.trashedAt),
    purgeAt: dateOrNull(record.purgeAt),
  };
}

/** A read's result, built in one literal (spreading the metadata in costs a tenth of a hot read). */
export function toSecret(record: SecretRecord, version: number, value: string): Secret {
  return {
    path: record.path,
    value,
    version,
    latestVersion: record.latestVersion,
    tier: record.tier,
    type: record.type,
    description: record.description,
    tags: record.tags,
    createdAt: date(record.createdAt),
    createdBy: record.createdBy,
    updatedAt: date(record.updatedAt),
    updatedBy: record.updatedBy,
    accessedAt: date(record.accessedAt ?? record.updatedAt),
    expiresAt: dateOrNull(record.expiresAt),
    trashedAt: dateOrNull(record.trashedAt),
    purgeAt: dateOrNull(record.purgeAt),
  };
}

export function toVersionView(info: VersionInfo, current: number): SecretVersion {
  return {
    version: info.version,
    createdAt: date(info.createdAt),
    createdBy: info.createdBy,
    isActive: info.version === current,
    retiresAt: dateOrNull(info.retiresAt),
    keyId: info.keyId,
  };
}

export function toAuditView(event: AuditEvent): AuditEventView {
  return {
    id: event.id,
    type: event.type,
    path: event.path,
    actor: event.actor,
    actorDescription: event.actorDescription,
    ip: event.ip,
    userAgent: event.userAgent,
    timestamp: date(event.timestamp),
    success: event.success,
    error: event.error,
    version: event.version,
    details: { ...event.details },
    seq: event.seq,
  };
}
