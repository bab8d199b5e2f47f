/**
 * Fault injection for the hardening tests: wrappers that make the N-th call of a chosen method of
 * a StorageAdapter or KeyWrapper fail as an outage would — before the call reaches the backend, so
 * the backend is untouched — and a snapshot of a tenant's stored state to compare before and after.
 */
import type { KeyWrapper } from '../contracts/key-wrapper';
import type { ListSecretsPage, StorageAdapter, Stored } from '../contracts/storage';
import { AgentVaultUnavailableError } from '../errors';
import type { StorageBackdoor } from './storage/context';

export interface FaultPlan {
  /** Which calls count: a method name, a pattern, or every method. */
  method?: string | RegExp;
  /** Fail the N-th counted call (1-based); 0 or absent = never fail, only record. */
  failOn?: number;
  /** The error to throw; default an AgentVaultUnavailableError. */
  error?: () => Error;
}

export interface FaultRecorder {
  /** Every call made, in order, by method name. */
  readonly calls: string[];
  /** The method that was made to fail, once it has. */
  readonly failed: string | null;
}

function matches(plan: FaultPlan, method: string): boolean {
  if (plan.method === undefined) return true;
  return typeof plan.method === 'string' ? plan.method === method : plan.method.test(method);
}

/** Wrap every method of `target` (own or inherited) so the plan can fail one call. */
function inject<T extends object>(target: T, plan: FaultPlan, label: string): T & FaultRecorder {
  const calls: string[] = [];
  let counted = 0;
  let failed: string | null = null;
  const wrapped: Record<string, unknown> = {};
  for (let proto: object | null = target; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const value = (target as Record<string, unknown>)[key];
      if (key === 'constructor' || key in wrapped) continue;
      if (typeof value !== 'function') {
        wrapped[key] = value;
        continue;
      }
      wrapped[key] = (...args: unknown[]) => {
        calls.push(key);
        if (matches(plan, key) && plan.failOn && ++counted === plan.failOn) {
          failed = key;
          return Promise.reject(plan.error?.() ?? new AgentVaultUnavailableError(`${label}: injected fault in ${key}`));
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    }
  }
  Object.defineProperty(wrapped, 'calls', { get: () => calls });
  Object.defineProperty(wrapped, 'failed', { get: () => failed });
  return wrapped as T & FaultRecorder;
}

/** A storage adapter whose N-th matching call fails before reaching the backend. */
export function faultyStorage(storage: StorageAdapter, plan: FaultPlan = {}): StorageAdapter & FaultRecorder {
  return inject(storage, plan, storage.name);
}

/** A key wrapper whose N-th matching call fails before reaching the key service. */
export function faultyKeyWrapper(keys: KeyWrapper, plan: FaultPlan = {}): KeyWrapper & FaultRecorder {
  return inject(keys, plan, keys.name);
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * Everything a tenant has stored except its audit trail, read through the adapter and the
 * backdoor: secrets (live and trashed) with every version row byte for byte, tokens, approvals
 * and agent keys. `uses: false` leaves out tokens' remaining uses, which an attempt spends by
 * design; `accessed: false` leaves out secrets' last access times. Equal snapshots mean equal
 * stored state.
 */
export async function tenantSnapshot(
  storage: StorageAdapter,
  backdoor: StorageBackdoor,
  tenant: string,
  options: { uses?: boolean; accessed?: boolean } = {},
): Promise<string> {
  const secrets: unknown[] = [];
  for (const trashed of [false, true]) {
    let afterPath: string | null = null;
    for (;;) {
      const page: ListSecretsPage = await storage.listSecrets({ tenant, namespace: '', afterPath, limit: 200, trashed });
      for (const record of page.items) {
        const versions = [];
        for (let version = 1; version <= record.latestVersion; version++) {
          const row = await backdoor.readVersion({ tenant, path: record.path, version });
          const wrappedKey = row && { ...row.wrappedKey, ciphertext: hex(row.wrappedKey.ciphertext) };
          versions.push(row && { ...row, ciphertext: hex(row.ciphertext), wrappedKey });
        }
        secrets.push({ record: options.accessed === false ? { ...record, accessedAt: null } : record, versions });
      }
      const last = page.items.at(-1);
      if (!last || page.items.length < 200) break;
      afterPath = last.path;
    }
  }
  const all = async <K extends 'token' | 'approval' | 'agent_key'>(kind: K) => {
    const records: Stored<K>[] = [];
    for (let afterId: string | null = null; ;) {
      const page: Stored<K>[] = await storage.listRecords({ kind, tenant, afterId, limit: 200 });
      records.push(...page);
      if (page.length < 200) break;
      afterId = (page.at(-1)!.record as { id: string }).id;
    }
    return records;
  };
  const tokens = (await all('token')).map(({ record, rev }) =>
    options.uses === false ? { ...record, usesRemaining: null } : { record, rev });
  const approvals = await all('approval');
  const agentKeys = await all('agent_key');
  return JSON.stringify({ secrets, tokens, approvals, agentKeys });
}
