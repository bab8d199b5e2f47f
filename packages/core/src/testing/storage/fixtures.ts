/** Records for direct adapter calls in the suite. */
import type { AuditDraft, AuditEventInput } from '../../contracts/records';
import { auditDigest } from '../../domain/audit-chain';
import { newId } from '../../domain/ids';
import type { AuditQueryOptions } from '../../vault/audit';
import type { Vault } from '../../vault/create-vault';
import type { AuditEventView } from '../../vault/views';

export function testDraft(tenant: string, path: string | null, id = newId('evt')): AuditDraft {
  const base = {
    id,
    tenant,
    chain: 0,
    type: 'secret.update' as const,
    path,
    actor: 'app:conformance',
    actorDescription: null,
    ip: null,
    userAgent: null,
    timestamp: Date.now(),
    details: {},
  };
  return { ...base, digest: auditDigest(base) };
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
