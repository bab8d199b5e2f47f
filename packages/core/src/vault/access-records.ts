/** Reading the records of agent keys, tokens and approvals, and minting token records. */
import type { IdKind, RecordKey, RecordTypes, TokenRecord } from '../contracts/records';
import type { RecordWrite, Stored } from '../contracts/storage';
import { hashCredential, newTokenValue } from '../domain/credentials';
import { newId } from '../domain/ids';
import { lineageUnder } from '../domain/tokens';
import { AgentVaultNotFoundError } from '../errors';
import { keyOf, put } from './records';
import type { Runtime } from './runtime';

export function idKey<K extends IdKind>(kind: K, tenant: string, id: string): RecordKey & { kind: K } {
  return keyOf.id(kind, tenant, id) as RecordKey & { kind: K };
}

/** The records at these keys, in order, in one round trip. */
export async function readAll<K extends IdKind>(
  rt: Runtime,
  keys: Array<RecordKey & { kind: K }>,
): Promise<Array<Stored<K> | null>> {
  return (await rt.storage.getRecords(keys)) as Array<Stored<K> | null>;
}

export async function readOne<K extends IdKind>(rt: Runtime, kind: K, tenant: string, id: string): Promise<Stored<K> | null> {
  const [stored] = await readAll(rt, [idKey(kind, tenant, id)]);
  return stored ?? null;
}

export async function mustRead<K extends IdKind>(
  rt: Runtime,
  kind: K,
  tenant: string,
  id: string,
  what: string,
): Promise<Stored<K>> {
  const stored = await readOne(rt, kind, tenant, id);
  if (!stored) throw new AgentVaultNotFoundError(`${what} not found: '${id}'`);
  return stored;
}

/** A condition on a record the commit does not change (a parent's or a minting key's revision). */
export function check<K extends IdKind>(
  kind: K,
  record: RecordTypes[K] & { tenant: string; id: string },
  rev: number,
): RecordWrite {
  return { op: 'check', key: idKey(kind, record.tenant, record.id), expect: rev };
}

/** The write that keeps a parent in step with its new child: its budget carved, or just its revision checked. */
export function parentWrite(parent: Stored<'token'>, next: TokenRecord | null): RecordWrite {
  return next ? put('token', next, parent.rev) : check('token', parent.record, parent.rev);
}

/**
 * A fresh token value and the record that stores only its hash. Its place in the tree follows from
 * `parent`: the lineage (parent first, then the parent's lineage; for a root, the actor that minted
 * it) and the root whose budget and rate-limit bucket it shares.
 */
export function newToken(
  fields: Omit<TokenRecord, 'id' | 'tenant' | 'hash' | 'revokedAt' | 'rootId' | 'lineage' | 'parentId'>,
  tenant: string,
  parent: TokenRecord | null,
): { value: string; record: TokenRecord } {
  const value = newTokenValue();
  const id = newId('tok');
  return {
    value,
    record: {
      ...fields,
      id,
      tenant,
      hash: hashCredential(value),
      parentId: parent?.id ?? null,
      lineage: lineageUnder(parent, fields.issuedBy),
      rootId: parent?.rootId ?? id,
      revokedAt: null,
    },
  };
}
