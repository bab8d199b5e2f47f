/** Named leases over records: get → pure rule (domain/leases) → put expecting the rev read. */
import type { RecordKey } from '../contracts/records';
import { leaseAvailable } from '../domain/leases';
import { commitWithRetry, conflictOf, getRecord, put } from './records';
import type { Runtime } from './runtime';

/** Where a lease lives: in the tenant it guards, so one commit never spans tenants. */
function leaseKey(tenant: string, name: string): RecordKey & { kind: 'lease' } {
  return { kind: 'lease', tenant, id: name };
}

/**
 * Take or renew the lease until `now + ttlMs`. True if `owner` now holds it; of concurrent
 * acquirers of a free lease exactly one gets it (the others' commits conflict and, re-read, find it held).
 */
export async function acquireLease(
  rt: Runtime,
  lease: { tenant: string; name: string; owner: string; now: number; ttlMs: number },
): Promise<boolean> {
  return commitWithRetry(async () => {
    const stored = await getRecord(rt.storage, leaseKey(lease.tenant, lease.name));
    if (!leaseAvailable(stored?.record ?? null, lease.owner, lease.now)) return false;
    await rt.storage.commit({
      writes: [put('lease', { tenant: lease.tenant, id: lease.name, owner: lease.owner, expiresAt: lease.now + lease.ttlMs }, stored?.rev ?? 'absent')],
      events: [],
    });
    return true;
  });
}

/** Give the lease up if `owner` holds it; otherwise do nothing. */
export async function releaseLease(rt: Runtime, lease: { tenant: string; name: string; owner: string }): Promise<void> {
  const key = leaseKey(lease.tenant, lease.name);
  const stored = await getRecord(rt.storage, key);
  if (!stored || stored.record.owner !== lease.owner) return;
  try {
    await rt.storage.commit({ writes: [{ op: 'delete', key, expect: stored.rev }], events: [] });
  } catch (error) {
    // Taken over after it expired: no longer ours to release.
    if (conflictOf(error) === null) throw error;
  }
}
