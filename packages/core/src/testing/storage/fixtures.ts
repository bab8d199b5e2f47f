/** Records for direct adapter calls in the suite. */
import type { AuditDraft, AuditEventInput, IdKind, RecordTypes, SecretRecord } from '../../contracts/records';
import type { StorageAdapter } from '../../contracts/storage';
import { newId } from '../../domain/ids';
import type { AuditQueryOptions } from '../../vault/audit';
import type { Vault } from '../../vault/create-vault';
import type { AuditEventView } from '../../vault/views';

export function testDraft(tenant: string, path: string | null, id = newId('evt')): AuditDraft {
  return {
    id,
    tenant,
    type: 'secret.update',
    path,
    actor: 'app:conformance',
    actorDescription: null,
    ip: null,
    userAgent: null,
    timestamp: Date.now(),
    details: {},
  };
}

/** A successful event, for adapter calls that take one. */
export function testEvent(
  tenant: string,
  path: string | null,
  version: number | null = null,
): AuditEventInput {
  return { ...testDraft(tenant, path), success: true, error: null, version };
}

/** Every event matching the query, walking all pages. */
export async function allEvents(vault: Vault, query: AuditQueryOptions = {}): Promise<AuditEventView[]> {
  const events: AuditEventView[] = [];
  let cursor: string | null | undefined;
  do {
    const page = await vault.queryAudit({ ...query, cursor, limit: 50 });
    events.push(...page.events);
    cursor = page.nextCursor;
  } while (cursor);
  return events;
}

/** The secret record at `path` (trashed or not), or null. */
export async function storedSecret(storage: StorageAdapter, tenant: string, path: string): Promise<SecretRecord | null> {
  const [stored] = await storage.getRecords([{ kind: 'secret', tenant, path }]);
  return (stored?.record as SecretRecord | undefined) ?? null;
}

/** The record of `kind` with this id, or null. */
export async function storedRecord<K extends IdKind>(
  storage: StorageAdapter,
  kind: K,
  tenant: string,
  id: string,
): Promise<RecordTypes[K] | null> {
  const [stored] = await storage.getRecords([{ kind, tenant, id }]);
  return (stored?.record as RecordTypes[K] | undefined) ?? null;
}
