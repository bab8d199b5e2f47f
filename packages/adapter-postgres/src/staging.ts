/**
 * Staged rotation: a pending version is appended beside the current one, then promoted or
 * discarded. Each step is one transaction that locks the secret row and decides its
 * compare-and-set on what is stored, like every other secret write (see secrets.ts).
 */
import type { SecretRecord, StorageInput } from '@agentvault/core';
import { AgentVaultConflictError } from '@agentvault/core/errors';
import type { Db } from './db';
import { toSecret } from './rows';
import {
  insertVersionCte,
  lockLive,
  lockSecret,
  rotationAssignments,
  selectUpdated,
  updateSecretCte,
  versionInsertValues,
  writeWithAudit,
} from './secrets';

const notPending = (path: string, version: number) =>
  new AgentVaultConflictError(`version ${version} of '${path}' is not the pending version`);

export async function stageVersion(
  db: Db,
  input: StorageInput<'stageVersion'>,
): Promise<SecretRecord> {
  const v = input.version;
  const t = db.t;
  return db.transaction(async (q) => {
    const row = await lockLive(q, t, v.tenant, v.path);
    if (
      row.pending_version !== null
      || v.version !== row.latest_version + 1
      || row.current_version !== input.expectedCurrentVersion
    ) {
      throw new AgentVaultConflictError(`secret '${v.path}' changed since it was read or has a pending version`);
    }
    const values = versionInsertValues(v);
    const ctes = [
      insertVersionCte(t),
      updateSecretCte(t, ['latest_version = $3', 'pending_version = $3'], values, v.tenant, v.path),
    ];
    const [updated] = await writeWithAudit(q, t, ctes, values, input.event, selectUpdated(t));
    return toSecret(updated!);
  });
}

/** The pending version becomes current only if it is still the latest: no write came after it. */
export async function promoteVersion(
  db: Db,
  input: StorageInput<'promoteVersion'>,
): Promise<SecretRecord> {
  const t = db.t;
  return db.transaction(async (q) => {
    const row = await lockSecret(q, t, input.tenant, input.path);
    if (!row || row.pending_version !== input.version || row.latest_version !== input.version) {
      throw notPending(input.path, input.version);
    }
    const values: unknown[] = [input.tenant, input.path, row.current_version, input.retirePreviousAt];
    const retire = `retire AS (UPDATE ${t.versions} SET retires_at = $4 WHERE tenant = $1 AND path = $2 AND version = $3)`;
    values.push(input.version, input.now, input.by);
    const sets = [
      `current_version = $5`,
      'pending_version = NULL',
      'updated_at = $6',
      'updated_by = $7',
      ...rotationAssignments(input.rotation, values),
    ];
    const ctes = [retire, updateSecretCte(t, sets, values, input.tenant, input.path)];
    const [updated] = await writeWithAudit(q, t, ctes, values, input.event, selectUpdated(t));
    return toSecret(updated!);
  });
}

/** The pending version retires at once (never readable again) and is pending no more. */
export async function discardPending(
  db: Db,
  input: StorageInput<'discardPending'>,
): Promise<SecretRecord> {
  const t = db.t;
  return db.transaction(async (q) => {
    const row = await lockSecret(q, t, input.tenant, input.path);
    if (!row || row.pending_version !== input.version) throw notPending(input.path, input.version);
    const values: unknown[] = [input.tenant, input.path, input.version, input.now];
    const retire = `retire AS (UPDATE ${t.versions} SET retires_at = $4 WHERE tenant = $1 AND path = $2 AND version = $3)`;
    const sets = ['pending_version = NULL', ...rotationAssignments(input.rotation, values)];
    const ctes = [retire, updateSecretCte(t, sets, values, input.tenant, input.path)];
    const [updated] = await writeWithAudit(q, t, ctes, values, input.event, selectUpdated(t));
    return toSecret(updated!);
  });
}
