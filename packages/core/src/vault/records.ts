/**
 * Helpers every core rule uses over the records half of the storage contract: keys, puts, one
 * record by key, and the re-read-and-re-decide loop around a conditional commit.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { IdKind, RecordKey, RecordKind, RecordTypes } from '../contracts/records';
import type { CommitConflict, Expectation, RecordWrite, StorageAdapter, Stored } from '../contracts/storage';
import { AgentVaultConflictError } from '../errors';

/** The conflict an adapter throws when a commit condition fails (`conflict` names the first failing write). */
export function commitConflictError(conflict: CommitConflict, message?: string): AgentVaultConflictError {
  return new AgentVaultConflictError(message ?? `storage: write ${conflict.index} of the commit found another revision`, {
    details: { conflict },
  });
}

/** The failing write of a commit conflict thrown by storage; null for any other error (including user-visible 409s). */
export function conflictOf(error: unknown): CommitConflict | null {
  if (!(error instanceof AgentVaultConflictError)) return null;
  const conflict = error.details['conflict'];
  return conflict && typeof conflict === 'object' ? (conflict as CommitConflict) : null;
}

export const keyOf = {
  secret: (tenant: string, path: string): RecordKey => ({ kind: 'secret', tenant, path }),
  version: (tenant: string, path: string, version: number): RecordKey => ({ kind: 'version', tenant, path, version }),
  id: (kind: IdKind, tenant: string, id: string): RecordKey => ({ kind, tenant, id }),
};

export function put<K extends RecordKind>(kind: K, record: RecordTypes[K], expect: Expectation): RecordWrite {
  return { op: 'put', kind, record, expect } as RecordWrite;
}

/** The record at `key`, or null. */
export async function getRecord<K extends RecordKind>(
  storage: StorageAdapter,
  key: RecordKey & { kind: K },
): Promise<Stored<K> | null> {
  const [stored] = await storage.getRecords([key]);
  return (stored ?? null) as Stored<K> | null;
}

/** How often a read-decide-commit step is re-run after losing a race. */
export const COMMIT_ATTEMPTS = 8;

async function backoff(attempt: number): Promise<void> {
  if (attempt === 0) return nextTurn();
  await sleep(Math.random() * Math.min(50, 2 ** attempt));
}

/**
 * Run `step` (read records → pure rule → `storage.commit` with `expect: rev`) and, when its commit
 * loses a race (a storage commit conflict), run it again from the read, up to `attempts` times.
 * Refusals the rule itself throws (even AgentVaultConflictError) are never retried. After the last
 * attempt the storage conflict is rethrown as a plain 409.
 */
export async function commitWithRetry<T>(step: (attempt: number) => Promise<T>, attempts = COMMIT_ATTEMPTS): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await step(attempt);
    } catch (error) {
      if (conflictOf(error) === null) throw error;
      if (attempt + 1 >= attempts)
        throw new AgentVaultConflictError('Too many concurrent changes; try again', { cause: error });
      await backoff(attempt);
    }
  }
}
