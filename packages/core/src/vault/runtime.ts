/** What every vault operation shares: storage and keys behind their guards, the clock, caches, settings. */
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { KeyWrapper } from '../contracts/key-wrapper';
import type { TokenRecord, VersionRetention } from '../contracts/records';
import type { StorageAdapter } from '../contracts/storage';
import { DataKeyCache, type DataKeyCacheOptions } from '../crypto/dek-cache';
import { type GuardedKeyWrapper, guardKeyWrapper } from '../crypto/guarded-key-wrapper';
import type { Tier } from '../domain/classification';
import { type Clock, systemClock } from '../domain/clock';
import type { Scope } from '../domain/scopes';
import { DEFAULT_MAX_VALUE_BYTES } from '../schemas/fields';
import { secretSchemas } from '../schemas/secrets';
import type { VaultEventListener } from './events';
import type { RegisteredRotationHandler } from './rotation';
import { AuditSealer, type AuditSettings } from './audit-seal';
import { guardStorage } from './guarded-storage';
import { WriteQueue } from './write-queue';

/** Where the vault reports what an operator should see. Never receives a value or a credential. */
export interface Logger {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface VaultOptions {
  storage: StorageAdapter;
  keys: KeyWrapper;
  clock?: Clock;
  /** Tenant of in-process calls that name none. Default `default`. */
  defaultTenant?: string;
  /** Audit name of in-process calls that give no `actor`: `app:<defaultActor>`. Default `embedded`. */
  defaultActor?: string;
  /** Largest secret value in UTF-8 bytes. Default 64 KiB. */
  maxValueBytes?: number;
  /** How long deleted secrets stay restorable. Default 30 days. */
  trashRetentionSeconds?: number;
  /**
   * Version history retention for every secret without its own (`versionRetention` on the secret):
   * maintenance destroys replaced versions older than `days` and beyond the newest `versions`.
   * The current version, a pending one and one inside its grace period are always kept. Default: keep all.
   */
  versionRetention?: { days?: number | null; versions?: number | null } | null;
  /** Unwrapped data-key cache bounds. */
  dataKeyCache?: DataKeyCacheOptions;
  /** Sealing the audit trail (vault/audit-seal): a checkpoint every N events or T seconds, whichever first. */
  audit?: {
    /** Events per checkpoint (counted per vault instance and tenant). Default 1000. */
    sealEvery?: number;
    /** Longest an event stays unsealed while a vault runs, in seconds. Default 60. */
    sealIntervalSeconds?: number;
  };
  tokens?: {
    /** Default 3600. */
    defaultTtlSeconds?: number;
    /** Default 30 days. */
    maxTtlSeconds?: number;
  };
  approvals?: {
    /** Let a request for sensitive secrets waive approval with `waiveApproval: true`. Default false. */
    allowSensitiveWaiver?: boolean;
    /** Distinct approvals a request needs, per tier. Default 1 for each. */
    requiredApprovals?: Partial<Record<Exclude<Tier, 'standard'>, number>>;
    /** How long a request waits for decisions. Default 24 h. */
    expiresInSeconds?: number;
  };
  /** Receives approval and token events, e.g. to notify Slack or email. */
  onEvent?: VaultEventListener;
  logger?: Logger;
}

export interface VaultConfig {
  defaultTenant: string;
  defaultActor: string;
  maxValueBytes: number;
  trashRetentionMs: number;
  /** null = keep every version (unless a secret has its own policy). */
  versionRetention: VersionRetention | null;
  audit: AuditSettings;
  defaultTokenTtlSeconds: number;
  maxTokenTtlSeconds: number;
  allowSensitiveWaiver: boolean;
  requiredApprovals: Record<Exclude<Tier, 'standard'>, number>;
  approvalTtlMs: number;
}

export interface CachedToken {
  record: TokenRecord;
  scope: Scope;
}

export interface Runtime {
  /** Names this vault instance as the holder of storage leases. */
  instanceId: string;
  storage: StorageAdapter;
  keys: GuardedKeyWrapper;
  clock: Clock;
  dataKeys: DataKeyCache;
  /** Token records by hash. Only immutable fields are trusted from here; storage checks the rest. */
  tokens: LRUCache<string, CachedToken>;
  writes: WriteQueue;
  /** Seals the audit trail; told of every event storage appends. */
  sealer: AuditSealer;
  config: VaultConfig;
  schemas: ReturnType<typeof secretSchemas>;
  logger: Logger;
  listeners: Set<VaultEventListener>;
  rotationHandlers: RegisteredRotationHandler[];
}

const consoleLogger: Logger = {
  warn: (message, fields) => console.warn(`[agentvault] ${message}`, fields ?? ''),
  error: (message, fields) => console.error(`[agentvault] ${message}`, fields ?? ''),
};

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new TypeError(`createVault: ${name} must be a positive integer`);
  return value;
}

function vaultRetention(policy: VaultOptions['versionRetention']): VersionRetention | null {
  const days = policy?.days ?? null;
  const versions = policy?.versions ?? null;
  if (days === null && versions === null) return null;
  return {
    days: days === null ? null : positiveInt('versionRetention.days', days),
    versions: versions === null ? null : positiveInt('versionRetention.versions', versions),
  };
}

export function createRuntime(options: VaultOptions): Runtime {
  if (!options?.storage) throw new TypeError('createVault: `storage` (a StorageAdapter) is required');
  if (!options.keys) throw new TypeError('createVault: `keys` (a KeyWrapper) is required');
  const maxValueBytes = positiveInt('maxValueBytes', options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES);
  const config: VaultConfig = {
    defaultTenant: options.defaultTenant ?? 'default',
    defaultActor: options.defaultActor ?? 'embedded',
    maxValueBytes,
    trashRetentionMs:
      positiveInt('trashRetentionSeconds', options.trashRetentionSeconds ?? 30 * 86_400) * 1000,
    versionRetention: vaultRetention(options.versionRetention),
    audit: {
      sealEvery: positiveInt('audit.sealEvery', options.audit?.sealEvery ?? 1000),
      sealIntervalMs: positiveInt('audit.sealIntervalSeconds', options.audit?.sealIntervalSeconds ?? 60) * 1000,
    },
    defaultTokenTtlSeconds: positiveInt(
      'tokens.defaultTtlSeconds',
      options.tokens?.defaultTtlSeconds ?? 3600,
    ),
    maxTokenTtlSeconds: positiveInt('tokens.maxTtlSeconds', options.tokens?.maxTtlSeconds ?? 30 * 86_400),
    allowSensitiveWaiver: options.approvals?.allowSensitiveWaiver ?? false,
    requiredApprovals: {
      sensitive: positiveInt(
        'approvals.requiredApprovals.sensitive',
        options.approvals?.requiredApprovals?.sensitive ?? 1,
      ),
      critical: positiveInt(
        'approvals.requiredApprovals.critical',
        options.approvals?.requiredApprovals?.critical ?? 1,
      ),
    },
    approvalTtlMs:
      positiveInt('approvals.expiresInSeconds', options.approvals?.expiresInSeconds ?? 86_400) * 1000,
  };
  const clock = options.clock ?? systemClock;
  const rt: Runtime = {
    instanceId: `vault-${randomUUID()}`,
    storage: guardStorage(options.storage, (tenant, count, event) => rt.sealer.noteAppended(tenant, count, event)),
    keys: guardKeyWrapper(options.keys),
    clock,
    dataKeys: new DataKeyCache(options.dataKeyCache, clock),
    // Aged by the vault's clock (not the wall clock), like every other time rule.
    tokens: new LRUCache<string, CachedToken>({ max: 10_000, ttl: 60_000, perf: clock, ttlResolution: 0 }),
    writes: new WriteQueue(),
    sealer: undefined as unknown as AuditSealer,
    config,
    schemas: secretSchemas(maxValueBytes),
    logger: options.logger ?? consoleLogger,
    listeners: new Set(options.onEvent ? [options.onEvent] : []),
    rotationHandlers: [],
  };
  rt.sealer = new AuditSealer(rt, config.audit);
  return rt;
}
