/**
 * Every change of a secret other than a new version, over the records half of the contract: read
 * the records, let a pure rule (domain/secret-rules) decide, commit expecting the revisions read,
 * and re-read and re-decide when another writer got there first.
 */
import type { AuditEventInput, RotationPolicy, SecretRecord, VersionInfo, VersionRecord } from '../contracts/records';
import type { RecordWrite, Stored } from '../contracts/storage';
import {
  checkDestroyable,
  discard,
  promote,
  rollback,
} from '../domain/secret-rules';
import { commitWithRetry, getRecord, keyOf, put } from './records';
import type { Runtime } from './runtime';

export async function readSecretRecord(rt: Runtime, tenant: string, path: string): Promise<Stored<'secret'> | null> {
  return getRecord(rt.storage, { kind: 'secret', tenant, path });
}

/** Read the secret, decide its next state with `rule`, commit it with `event`; retried on a lost race. */
export async function changeSecret(
  rt: Runtime,
  tenant: string,
  path: string,
  rule: (secret: SecretRecord | null) => SecretRecord,
  event: AuditEventInput,
): Promise<SecretRecord> {
  return commitWithRetry(async () => {
    const stored = await readSecretRecord(rt, tenant, path);
    const next = rule(stored?.record ?? null);
    await rt.storage.commit({ writes: [put('secret', next, stored?.rev ?? 'absent')], events: [event] });
    return next;
  });
}

export async function rollbackSecret(
  rt: Runtime,
  tenant: string,
  path: string,
  input: { toVersion: number; expectedCurrentVersion: number | null; now: number; by: string },
  event: AuditEventInput,
): Promise<SecretRecord> {
  return commitWithRetry(async () => {
    const [secret, target] = (await rt.storage.getRecords([
      keyOf.secret(tenant, path),
      keyOf.version(tenant, path, input.toVersion),
    ])) as [Stored<'secret'> | null, Stored<'version'> | null];
    const next = rollback(secret?.record ?? null, target?.record ?? null, path, input);
    await rt.storage.commit({
      writes: [put('secret', next, secret!.rev), { op: 'check', key: keyOf.version(tenant, path, input.toVersion), expect: target!.rev }],
      events: [event],
    });
    return next;
  });
}

/** Delete the secret and every version record (ciphertext and wrapped key) in one commit. */
export async function destroySecret(
  rt: Runtime,
  tenant: string,
  path: string,
  purgeDueBy: number | null,
  event: AuditEventInput,
): Promise<void> {
  await commitWithRetry(async () => {
    const secret = await readSecretRecord(rt, tenant, path);
    const record = checkDestroyable(secret?.record ?? null, path, purgeDueBy);
    const versions = await rt.storage.getRecords(
      Array.from({ length: record.latestVersion }, (_, i) => keyOf.version(tenant, path, i + 1)),
    );
    const writes: RecordWrite[] = [{ op: 'delete', key: keyOf.secret(tenant, path), expect: secret!.rev }];
    versions.forEach((version, i) => {
      if (version) writes.push({ op: 'delete', key: keyOf.version(tenant, path, i + 1), expect: version.rev });
    });
    await rt.storage.commit({ writes, events: [event] });
  });
}

export async function promoteVersion(
  rt: Runtime,
  tenant: string,
  path: string,
  input: { version: number; retirePreviousAt: number; rotation: RotationPolicy | null; now: number; by: string },
  event: AuditEventInput,
): Promise<SecretRecord> {
  return commitWithRetry(async () => {
    const secret = await readSecretRecord(rt, tenant, path);
    const current = secret ? await getRecord(rt.storage, { kind: 'version', tenant, path, version: secret.record.currentVersion }) : null;
    const next = promote(secret?.record ?? null, current?.record ?? null, path, input);
    const writes: RecordWrite[] = [put('secret', next.secret, secret!.rev)];
    if (next.replaced && current) writes.push(put('version', next.replaced, current.rev));
    await rt.storage.commit({ writes, events: [event] });
    return next.secret;
  });
}

export async function discardPending(
  rt: Runtime,
  tenant: string,
  path: string,
  input: { version: number; rotation: RotationPolicy | null; now: number },
  event: AuditEventInput,
): Promise<SecretRecord> {
  return commitWithRetry(async () => {
    const [secret, pending] = (await rt.storage.getRecords([
      keyOf.secret(tenant, path),
      keyOf.version(tenant, path, input.version),
    ])) as [Stored<'secret'> | null, Stored<'version'> | null];
    const next = discard(secret?.record ?? null, pending?.record ?? null, path, input);
    const writes: RecordWrite[] = [put('secret', next.secret, secret!.rev)];
    if (next.pending && pending) writes.push(put('version', next.pending, pending.rev));
    await rt.storage.commit({ writes, events: [event] });
    return next.secret;
  });
}

/** Every version of the secret, oldest first, without ciphertext. */
export async function listVersionInfo(rt: Runtime, secret: SecretRecord): Promise<VersionInfo[]> {
  const stored = await rt.storage.getRecords(
    Array.from({ length: secret.latestVersion }, (_, i) => keyOf.version(secret.tenant, secret.path, i + 1)),
  );
  return stored
    .filter((s): s is Stored<'version'> => s !== null)
    .map(({ record }) => {
      const { ciphertext: _c, wrappedKey, ...info } = record as VersionRecord;
      return { ...info, keyId: wrappedKey.keyId };
    });
}
