import { randomUUID } from 'node:crypto';
import type { KeyWrapper } from '../../contracts/key-wrapper';
import type { AuditEvent, VersionRecord } from '../../contracts/records';
import type { StorageAdapter, VersionKey } from '../../contracts/storage';
import { createVault, type Vault } from '../../vault/create-vault';
import type { VaultOptions } from '../../vault/runtime';
import { type ManualClock, manualClock } from '../clock';
import { testKeyWrapper } from '../key-wrappers';

/**
 * Direct access to what a backend really stores, bypassing every rule: the suite uses it to check
 * that storage holds no plaintext and no credential, and to tamper with rows as someone with write
 * access to the database would (no hash exists to recompute: events are plain rows).
 */
export interface StorageBackdoor {
  /** Everything stored, as text with bytes in base64 or hex. */
  dump(): Promise<string>;
  readVersion(key: VersionKey): Promise<VersionRecord | null>;
  /** Overwrite the stored version row at the record's (tenant, path, version) with these fields. */
  writeVersion(record: VersionRecord): Promise<void>;
  /** The tenant's stored events exactly as stored (seq included), in seq order. */
  auditEvents(tenant: string): Promise<AuditEvent[]>;
  /** Change fields of a stored event (`seq` included: that renumbers just this one). */
  patchAuditEvent(tenant: string, id: string, patch: Partial<Omit<AuditEvent, 'id' | 'tenant'>>): Promise<void>;
  /** Delete a stored event, leaving a gap in the numbering. */
  deleteAuditEvent(tenant: string, id: string): Promise<void>;
  /** Store an event row as given (its `seq` may repeat an existing one). */
  insertAuditEvent(event: AuditEvent): Promise<void>;
  /**
   * Renumber the tenant's events 1, 2, 3… in their current seq order (ties in any order), closing
   * gaps and duplicates, and make the next append follow the last.
   */
  renumberAudit(tenant: string): Promise<void>;
}

export interface StorageFixture {
  storage: StorageAdapter;
  backdoor: StorageBackdoor;
  /**
   * A second adapter on the same backend with its own connections, to race two vault instances.
   * Without it the two-instance group runs both vaults on `storage`.
   */
  twin?: () => Promise<StorageAdapter> | StorageAdapter;
  /** Release everything the fixture made (schemas, key prefixes, connections). */
  close?: () => Promise<void> | void;
}

export type StorageFactory = () => Promise<StorageFixture> | StorageFixture;

export const STORAGE_SUITE_GROUPS = [
  'records',
  'secrets',
  'listing',
  'trash',
  'audit',
  'tenants',
  'tokens',
  'approvals',
  'safety',
  'tamper',
  'two-instances',
  'lifecycle',
  'retention',
  'faults',
  'leaks',
  'token-model',
] as const;
export type StorageSuiteGroup = (typeof STORAGE_SUITE_GROUPS)[number];

export interface StorageConformanceOptions {
  /** Groups this backend cannot run, each with the reason — never skipped silently. */
  skip?: Partial<Record<StorageSuiteGroup, string>>;
  /** The key wrapper vaults in the suite use. Default: an in-memory test keyring. */
  keys?: () => KeyWrapper;
  /**
   * Independent lanes the token model runs its sequences on at once, each in its own tenant (a
   * network store waits on I/O, so lanes cut the wall time of its 10,000 sequences). Default 1.
   */
  modelLanes?: number;
  /**
   * Token-model sequences for this run (`AGENTVAULT_MODEL_RUNS` overrides). Default 10,000 under
   * CI, 300 otherwise. A suite whose subject is not the storage (e.g. a key wrapper's end-to-end
   * run on a storage that has its own) may run fewer.
   */
  modelRuns?: number;
}

/** One test's world: a vault with its own tenant and clock on the shared fixture. */
export interface Harness {
  vault: Vault;
  clock: ManualClock;
  tenant: string;
  storage: StorageAdapter;
  backdoor: StorageBackdoor;
  keys: KeyWrapper;
  /** Another vault on the same storage, keys and tenant (optionally on the twin adapter, other keys or settings). */
  another(options?: Partial<VaultOptions>): Vault;
}

export interface SuiteContext {
  fixture(): StorageFixture;
  setup(overrides?: Partial<VaultOptions>): Harness;
  readonly options: StorageConformanceOptions;
  /**
   * Close every vault `setup` made: a sealer whose timer fires after the suite removed its data
   * would write a checkpoint into it again (on Redis: keys left behind under a deleted prefix).
   */
  closeVaults(): Promise<void>;
}

export function uniqueTenant(): string {
  return `t-${randomUUID().slice(0, 12)}`;
}

export function makeContext(fixture: () => StorageFixture, options: StorageConformanceOptions): SuiteContext {
  const vaults: Vault[] = [];
  const made = (vaultOptions: VaultOptions): Vault => {
    const vault = createVault(vaultOptions);
    vaults.push(vault);
    return vault;
  };
  return {
    fixture,
    options,
    // The fixtures hand their adapters a client, pool or database of their own, so a vault's close
    // leaves those open for the fixture's own close.
    closeVaults: async () => void (await Promise.allSettled(vaults.splice(0).map((vault) => vault.close()))),
    setup(overrides = {}) {
      const { storage, backdoor } = fixture();
      const clock = manualClock();
      const tenant = uniqueTenant();
      const keys = options.keys?.() ?? testKeyWrapper();
      const base: VaultOptions = {
        storage,
        keys,
        clock,
        defaultTenant: tenant,
        logger: { warn() {}, error() {} },
        ...overrides,
      };
      return {
        vault: made(base),
        clock,
        tenant,
        storage: base.storage,
        backdoor,
        keys: base.keys,
        another: (more = {}) => made({ ...base, ...more }),
      };
    },
  };
}
