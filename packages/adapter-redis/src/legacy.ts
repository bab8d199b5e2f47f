/**
 * Upgrade path from the v1 adapter (releases up to commit d132539): `exportLegacy` reads a v1
 * keyspace, verifies its hash-chained audit trail with core's `verifyLegacyAuditChains` (core
 * computes the old hashes, never this code) and writes everything as JSON lines; `importLegacy`
 * stores those lines through any v2 adapter, the events renumbered 1, 2, 3… per tenant in their old
 * order. `vault.sealAudit()` then seals the imported trail as the first checkpoint.
 * v1 records lack fields v2 added; they are filled in: a token's `lineage` and `rootId` from its
 * parents, an approval's `lineage` from the requesting token, an expiry warning's `sentAt` as 0.
 */
import {
  type AgentKeyRecord, type ApprovalRecord, type AuditEventInput, expiryWarningId, type LegacyAuditEvent,
  type RecordKind, recordKey, type RecordTypes, type SecretRecord, type StorageAdapter, type TokenRecord,
  type VersionRecord, verifyLegacyAuditChains,
} from '@agentvault/core';
import { keysUnder } from './backdoor';
import type { Arg, RedisClientLike } from './client';
import { decodeValue, encodeValue } from './codec';

/** A v1 keyspace read back: every record, and every event with its old chain fields. */
export interface LegacyExport {
  records: Array<{ kind: RecordKind; record: RecordTypes[RecordKind] }>;
  events: LegacyAuditEvent[];
}

type BufferClient = RedisClientLike & { callBuffer(command: string, ...args: Arg[]): Promise<unknown> };

async function fields(client: BufferClient, key: string): Promise<Map<string, Buffer>> {
  const flat = (await client.callBuffer('HGETALL', key)) as Buffer[] | Array<[Buffer, Buffer]>;
  const pairs = (flat as unknown[]).flat() as Buffer[];
  const map = new Map<string, Buffer>();
  for (let i = 0; i < pairs.length; i += 2) map.set(pairs[i]!.toString(), pairs[i + 1]!);
  return map;
}

const str = (f: Map<string, Buffer>, name: string): string | null => f.get(name)?.toString() ?? null;
const num = (f: Map<string, Buffer>, name: string): number | null => (f.has(name) ? Number(str(f, name)) : null);

function secretOf(tenant: string, path: string, f: Map<string, Buffer>): SecretRecord {
  return {
    tenant,
    path,
    type: str(f, 'type') as SecretRecord['type'],
    tier: str(f, 'tier') as SecretRecord['tier'],
    description: str(f, 'desc'),
    tags: JSON.parse(str(f, 'tags') ?? '{}') as Record<string, string>,
    currentVersion: num(f, 'cur')!,
    latestVersion: num(f, 'latest')!,
    createdAt: num(f, 'cat')!,
    createdBy: str(f, 'cby')!,
    updatedAt: num(f, 'uat')!,
    updatedBy: str(f, 'uby')!,
    accessedAt: num(f, 'aat'),
    expiresAt: num(f, 'exp'),
    trashedAt: num(f, 'trash'),
    purgeAt: num(f, 'purge'),
    rotation: f.has('rotn')
      ? { everySeconds: num(f, 'rote')!, gracePeriodSeconds: num(f, 'rotg')!, nextAt: num(f, 'rotn')!, failures: num(f, 'rotf')! }
      : null,
    pendingVersion: num(f, 'pend'),
  };
}

function versionsOf(tenant: string, path: string, f: Map<string, Buffer>): VersionRecord[] {
  const numbers = new Set([...f.keys()].map((name) => Number(name.split(':')[0])));
  return [...numbers].sort((a, b) => a - b).map((n) => ({
    tenant,
    path,
    version: n,
    ciphertext: new Uint8Array(f.get(`${n}:c`)!),
    wrappedKey: { keyId: str(f, `${n}:k`)!, ciphertext: new Uint8Array(f.get(`${n}:w`)!) },
    createdAt: num(f, `${n}:t`)!,
    createdBy: str(f, `${n}:b`)!,
    retiresAt: num(f, `${n}:r`),
  }));
}

/** A token's ancestors nearest first, then its root's minter; and its root. */
function lineageOf(id: string, tokens: Map<string, TokenRecord>): { lineage: string[]; rootId: string } {
  const lineage: string[] = [];
  let token = tokens.get(id)!;
  while (token.parentId !== null && tokens.has(token.parentId)) {
    lineage.push(`token:${token.parentId}`);
    token = tokens.get(token.parentId)!;
  }
  return { lineage: [...lineage, token.issuedBy], rootId: token.id };
}

/**
 * Read the v1 keyspace under `prefix` and verify its audit chains (and their stored heads). Throws,
 * naming the first break, if any chain does not hold: a tampered trail is not carried over silently.
 */
export async function exportLegacy(client: BufferClient, prefix: string): Promise<LegacyExport> {
  const records: LegacyExport['records'] = [];
  const events: LegacyAuditEvent[] = [];
  const heads = new Map<string, { seq: number; hash: string }>();
  const tokens = new Map<string, TokenRecord>();
  const approvals: ApprovalRecord[] = [];
  for (const key of (await keysUnder(client, prefix)).sort()) {
    const rest = key.slice(prefix.length);
    const event = /^e:(.+)$/.exec(rest);
    if (event) {
      const raw = String(await client.call('GET', key));
      const [seq, hash, label, ...body] = raw.split('\n');
      const [success, error, version] = label!.split('|');
      events.push({
        ...(JSON.parse(body.join('\n')) as Omit<LegacyAuditEvent, 'seq' | 'hash' | 'success' | 'error' | 'version'>),
        success: success === '1',
        error: error || null,
        version: version ? Number(version) : null,
        seq: Number(seq),
        hash: hash!,
      });
      continue;
    }
    const match = /^t:([^:]+):(s|v|tok|key|apr|heads|warned)(?::(.+))?$/.exec(rest);
    if (!match) continue;
    const [, tenant, what, name] = match as unknown as [string, string, string, string];
    if (what === 'warned') {
      for (const member of (await client.call('SMEMBERS', key)) as string[]) {
        const [kind, expiresAt, path] = member.split('\u0000') as ['7d' | '1d', string, string];
        const id = expiryWarningId(path, Number(expiresAt), kind);
        records.push({ kind: 'expiry_warning', record: { tenant, id, path, expiresAt: Number(expiresAt), kind, sentAt: 0 } });
      }
      continue;
    }
    const f = await fields(client, key);
    if (what === 'heads') {
      for (const [chain, head] of f) {
        const [seq, hash] = head.toString().split(':');
        heads.set(`${tenant}|${chain}`, { seq: Number(seq), hash: hash! });
      }
    } else if (what === 's' && f.has('cur')) {
      records.push({ kind: 'secret', record: secretOf(tenant, name, f) });
    } else if (what === 'v') {
      for (const record of versionsOf(tenant, name, f)) records.push({ kind: 'version', record });
    } else if (what === 'tok' && f.has('rec')) {
      const rec = JSON.parse(str(f, 'rec')!) as TokenRecord;
      tokens.set(rec.id, { ...rec, usesRemaining: num(f, 'uses'), revokedAt: num(f, 'rev'), lineage: [], rootId: rec.id });
    } else if (what === 'key' && f.has('rec')) {
      records.push({ kind: 'agent_key', record: { ...(JSON.parse(str(f, 'rec')!) as AgentKeyRecord), revokedAt: num(f, 'rev') } });
    } else if (what === 'apr' && f.has('rec')) {
      approvals.push({
        ...(JSON.parse(str(f, 'rec')!) as ApprovalRecord),
        status: str(f, 'status') as ApprovalRecord['status'],
        decisions: (str(f, 'dec') ?? '').split('\n').filter(Boolean).map((line) => JSON.parse(line) as ApprovalRecord['decisions'][number]),
        decidedAt: num(f, 'decidedAt'),
        claimedAt: num(f, 'claimedAt'),
        tokenId: str(f, 'tokenId'),
        lineage: [],
      });
    }
  }
  for (const token of tokens.values()) records.push({ kind: 'token', record: { ...token, ...lineageOf(token.id, tokens) } });
  for (const approval of approvals) {
    const requester = /^token:(.+)$/.exec(approval.requestedBy)?.[1];
    const lineage = requester && tokens.has(requester) ? lineageOf(requester, tokens).lineage : [];
    records.push({ kind: 'approval', record: { ...approval, lineage } });
  }
  const breaks = verifyLegacyAuditChains(events, heads);
  if (breaks.length > 0) {
    const b = breaks[0]!;
    throw new Error(`redis: the v1 audit chain ${b.tenant}/${b.chain} breaks at seq ${b.seq} (${b.reason}, ${b.eventId}); not exported`);
  }
  events.sort((a, b) => a.timestamp - b.timestamp || a.chain - b.chain || a.seq - b.seq);
  return { records, events };
}

/** An export as JSON lines (bytes in base64): one `{"kind","record"}` or `{"event"}` per line. */
export function legacyToJsonl(data: LegacyExport): string {
  return [
    ...data.records.map((r) => encodeValue(r)),
    ...data.events.map((event) => encodeValue({ event })),
  ].join('\n');
}

/**
 * Store JSON lines from `legacyToJsonl` through a v2 adapter: records put where none exists,
 * events appended per tenant in their old order (numbered after the tenant's last event).
 */
export async function importLegacy(storage: StorageAdapter, jsonl: string): Promise<{ records: number; events: number }> {
  const lines = jsonl.split('\n').filter(Boolean).map((line) => decodeValue(line) as
    { kind: RecordKind; record: RecordTypes[RecordKind] } | { event: LegacyAuditEvent });
  const byTenant = new Map<string, { records: LegacyExport['records']; events: AuditEventInput[] }>();
  const of = (tenant: string) => byTenant.get(tenant) ?? byTenant.set(tenant, { records: [], events: [] }).get(tenant)!;
  for (const line of lines) {
    if ('event' in line) {
      const { chain: _chain, seq: _seq, hash: _hash, ...event } = line.event;
      of(event.tenant).events.push(event as AuditEventInput);
    } else {
      of(recordKey(line.kind, line.record as never).tenant).records.push(line);
    }
  }
  let records = 0;
  let events = 0;
  for (const data of byTenant.values()) {
    for (let i = 0; i < data.records.length; i += 50) {
      const batch = data.records.slice(i, i + 50);
      await storage.commit({ writes: batch.map((r) => ({ op: 'put', kind: r.kind, record: r.record, expect: 'absent' }) as never), events: [] });
      records += batch.length;
    }
    for (let i = 0; i < data.events.length; i += 100) {
      const batch = data.events.slice(i, i + 100);
      await storage.commit({ writes: [], events: batch });
      events += batch.length;
    }
  }
  return { records, events };
}
