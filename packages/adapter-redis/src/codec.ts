/**
 * How records map to Redis values. Hash fields hold strings; a field that is absent stands for
 * null. Immutable parts of tokens, agent keys and approvals are one JSON field (`rec`); the fields
 * a script reads or changes are stored apart. Audit events are one string:
 * `<seq>\n<hash>\n<outcome label>\n<JSON of the draft>`, where the label is the one the chain link
 * hashes (`outcomeLabel`), so the stored outcome is exactly what the link covers.
 */
import type {
  AgentKeyRecord,
  ApprovalDecision,
  ApprovalRecord,
  AuditEvent,
  AuditEventInput,
  RotationPolicy,
  SecretPatch,
  SecretRecord,
  TokenRecord,
  VersionRecord,
} from '@agentvault/core';

export type Reply = string | Buffer | number | null | Reply[];
export type Arg = string | Buffer | number;

export const text = (value: Reply | undefined): string =>
  Buffer.isBuffer(value) ? value.toString('utf8') : String(value ?? '');

/** A flat HGETALL reply as an object of strings (binary fields stay Buffers under `raw`). */
export function hashFields(reply: Reply | undefined): Map<string, Reply> {
  const fields = new Map<string, Reply>();
  if (!Array.isArray(reply)) return fields;
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(text(reply[i]), reply[i + 1]!);
  return fields;
}

const opt = (fields: Map<string, Reply>, name: string): string | null =>
  fields.has(name) ? text(fields.get(name)) : null;
const optNumber = (fields: Map<string, Reply>, name: string): number | null => {
  const value = opt(fields, name);
  return value === null ? null : Number(value);
};
const nullable = (value: number | string | null): string => (value === null ? '' : String(value));

// ── secrets ─────────────────────────────────────────────────────────────────

/** Field/value pairs of a new secret's hash (null fields left out). */
export function secretFields(secret: SecretRecord): string[] {
  const fields = [
    'type',
    secret.type,
    'tier',
    secret.tier,
    'tags',
    JSON.stringify(secret.tags),
    'cur',
    String(secret.currentVersion),
    'latest',
    String(secret.latestVersion),
    'cat',
    String(secret.createdAt),
    'cby',
    secret.createdBy,
    'uat',
    String(secret.updatedAt),
    'uby',
    secret.updatedBy,
  ];
  const optional: Array<[string, string | number | null]> = [
    ['desc', secret.description],
    ['aat', secret.accessedAt],
    ['exp', secret.expiresAt],
    ['trash', secret.trashedAt],
    ['purge', secret.purgeAt],
    ['pend', secret.pendingVersion],
  ];
  for (const [name, value] of optional) if (value !== null) fields.push(name, String(value));
  if (secret.rotation !== null) fields.push(...rotationPairs(secret.rotation));
  return fields;
}

/** The hash fields of a rotation policy; `rotn` (nextAt) is also the score of the due-rotation index. */
export const ROTATION_FIELDS = ['rote', 'rotg', 'rotn', 'rotf'] as const;

function rotationPairs(rotation: RotationPolicy): string[] {
  const values = [rotation.everySeconds, rotation.gracePeriodSeconds, rotation.nextAt, rotation.failures];
  return ROTATION_FIELDS.flatMap((field, i) => [field, String(values[i])]);
}

/** A rotation policy to set (null: clear) as patch arguments (see `patchArgs`). */
export function rotationArgs(rotation: RotationPolicy | null): string[] {
  if (rotation === null) return ['0', String(ROTATION_FIELDS.length), ...ROTATION_FIELDS];
  return [String(ROTATION_FIELDS.length), ...rotationPairs(rotation), '0'];
}

/** A patch as script arguments: the number of pairs, the pairs, the number of deletions, the fields. */
export function patchArgs(patch: SecretPatch): string[] {
  const sets: string[] = [];
  const dels: string[] = [];
  if (patch.type !== undefined) sets.push('type', patch.type);
  if (patch.tier !== undefined) sets.push('tier', patch.tier);
  if (patch.tags !== undefined) sets.push('tags', JSON.stringify(patch.tags));
  if (patch.description !== undefined) {
    if (patch.description === null) dels.push('desc');
    else sets.push('desc', patch.description);
  }
  if (patch.expiresAt !== undefined) {
    if (patch.expiresAt === null) dels.push('exp');
    else sets.push('exp', String(patch.expiresAt));
  }
  if (patch.rotation !== undefined) {
    if (patch.rotation === null) dels.push(...ROTATION_FIELDS);
    else sets.push(...rotationPairs(patch.rotation));
  }
  return [String(sets.length / 2), ...sets, String(dels.length), ...dels];
}

export function decodeSecret(tenant: string, path: string, reply: Reply | undefined): SecretRecord | null {
  const f = hashFields(reply);
  if (!f.has('cur')) return null;
  return {
    tenant,
    path,
    type: text(f.get('type')) as SecretRecord['type'],
    tier: text(f.get('tier')) as SecretRecord['tier'],
    description: opt(f, 'desc'),
    tags: JSON.parse(text(f.get('tags'))) as Record<string, string>,
    currentVersion: Number(text(f.get('cur'))),
    latestVersion: Number(text(f.get('latest'))),
    createdAt: Number(text(f.get('cat'))),
    createdBy: text(f.get('cby')),
    updatedAt: Number(text(f.get('uat'))),
    updatedBy: text(f.get('uby')),
    accessedAt: optNumber(f, 'aat'),
    expiresAt: optNumber(f, 'exp'),
    trashedAt: optNumber(f, 'trash'),
    purgeAt: optNumber(f, 'purge'),
    // Records written before rotation existed have neither field: null, as for any absent field.
    rotation: f.has('rotn')
      ? {
          everySeconds: Number(text(f.get('rote'))),
          gracePeriodSeconds: Number(text(f.get('rotg'))),
          nextAt: Number(text(f.get('rotn'))),
          failures: Number(text(f.get('rotf'))),
        }
      : null,
    pendingVersion: optNumber(f, 'pend'),
  };
}

/** A version as script arguments: number, ciphertext, key id, wrapped key, createdAt, createdBy, retiresAt. */
export function versionArgs(version: VersionRecord): Arg[] {
  return [
    String(version.version),
    Buffer.from(version.ciphertext),
    version.wrappedKey.keyId,
    Buffer.from(version.wrappedKey.ciphertext),
    String(version.createdAt),
    version.createdBy,
    nullable(version.retiresAt),
  ];
}

const bytes = (value: Reply | undefined): Uint8Array =>
  new Uint8Array(Buffer.isBuffer(value) ? value : Buffer.from(text(value), 'latin1'));

/** A version from the HMGET of its fields, in `versionArgs` order after the number. */
export function decodeVersion(tenant: string, path: string, version: number, values: Reply[]): VersionRecord {
  const retires = text(values[5]);
  return {
    tenant,
    path,
    version,
    ciphertext: bytes(values[0]),
    wrappedKey: { keyId: text(values[1]), ciphertext: bytes(values[2]) },
    createdAt: Number(text(values[3])),
    createdBy: text(values[4]),
    retiresAt: retires === '' ? null : Number(retires),
  };
}

// ── tokens, agent keys, approvals ───────────────────────────────────────────

/** A token as script arguments (see `readToken` in the prelude). */
export function tokenArgs(token: TokenRecord): string[] {
  const { usesRemaining, revokedAt, ...rest } = token;
  return [
    token.id,
    token.hash,
    token.parentId ?? '',
    JSON.stringify(rest),
    String(token.expiresAt),
    nullable(usesRemaining),
    nullable(revokedAt),
  ];
}

export function decodeToken(reply: Reply | undefined): TokenRecord | null {
  const f = hashFields(reply);
  if (!f.has('rec')) return null;
  return {
    ...(JSON.parse(text(f.get('rec'))) as Omit<TokenRecord, 'usesRemaining' | 'revokedAt'>),
    usesRemaining: optNumber(f, 'uses'),
    revokedAt: optNumber(f, 'rev'),
  };
}

export function agentKeyRec(key: AgentKeyRecord): string {
  const { revokedAt: _revoked, ...rest } = key;
  return JSON.stringify(rest);
}

export function decodeAgentKey(reply: Reply | undefined): AgentKeyRecord | null {
  const f = hashFields(reply);
  if (!f.has('rec')) return null;
  return {
    ...(JSON.parse(text(f.get('rec'))) as Omit<AgentKeyRecord, 'revokedAt'>),
    revokedAt: optNumber(f, 'rev'),
  };
}

type ApprovalRec = Omit<ApprovalRecord, 'status' | 'decisions' | 'decidedAt' | 'claimedAt' | 'tokenId'>;

/** Field/value pairs of a new approval request's hash. */
export function approvalFields(approval: ApprovalRecord): string[] {
  const { status, decisions, decidedAt, claimedAt, tokenId, ...rest } = approval;
  const fields = [
    'rec',
    JSON.stringify(rest),
    'status',
    status,
    'exp',
    String(approval.expiresAt),
    'req',
    String(approval.requiredApprovals),
  ];
  if (decisions.length > 0) {
    fields.push('dec', decisions.map((d) => JSON.stringify(d)).join('\n'));
    fields.push('napp', String(decisions.filter((d) => d.decision === 'approve').length));
    for (const d of decisions) fields.push(`by:${d.by}`, d.decision);
  }
  if (decidedAt !== null) fields.push('decidedAt', String(decidedAt));
  if (claimedAt !== null) fields.push('claimedAt', String(claimedAt));
  if (tokenId !== null) fields.push('tokenId', tokenId);
  return fields;
}

export function decodeApproval(reply: Reply | undefined): ApprovalRecord | null {
  const f = hashFields(reply);
  if (!f.has('rec')) return null;
  const dec = opt(f, 'dec');
  return {
    ...(JSON.parse(text(f.get('rec'))) as ApprovalRec),
    status: text(f.get('status')) as ApprovalRecord['status'],
    decisions: dec === null ? [] : dec.split('\n').map((line) => JSON.parse(line) as ApprovalDecision),
    decidedAt: optNumber(f, 'decidedAt'),
    claimedAt: optNumber(f, 'claimedAt'),
    tokenId: opt(f, 'tokenId'),
  };
}

// ── audit ───────────────────────────────────────────────────────────────────

/** The sortable index member of an event: its timestamp as 16 digits, then its id. */
export const auditMember = (timestamp: number, id: string): string =>
  `${String(Math.max(0, Math.trunc(timestamp))).padStart(16, '0')}:${id}`;

/** The namespaces an event's path is under ('' aside: "any path" is the complement of pathless events). */
export function namespacesOf(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i));
  return out;
}

export function eventBody(event: Omit<AuditEventInput, 'digest' | 'success' | 'error' | 'version'>): string {
  return JSON.stringify({
    id: event.id,
    tenant: event.tenant,
    chain: event.chain,
    type: event.type,
    path: event.path,
    actor: event.actor,
    actorDescription: event.actorDescription,
    ip: event.ip,
    userAgent: event.userAgent,
    timestamp: event.timestamp,
    details: event.details,
  });
}

/** Parse `1||3` / `0|not_found|` back into an outcome. */
export function parseLabel(label: string): Pick<AuditEvent, 'success' | 'error' | 'version'> {
  const [success, error, version] = label.split('|');
  return {
    success: success === '1',
    error: error ? error : null,
    version: version ? Number(version) : null,
  };
}

export function decodeEvent(reply: Reply | undefined): AuditEvent {
  const raw = text(reply);
  const first = raw.indexOf('\n');
  const second = raw.indexOf('\n', first + 1);
  const third = raw.indexOf('\n', second + 1);
  const body = JSON.parse(raw.slice(third + 1)) as Omit<
    AuditEvent,
    'seq' | 'hash' | 'success' | 'error' | 'version'
  >;
  return {
    ...body,
    ...parseLabel(raw.slice(second + 1, third)),
    seq: Number(raw.slice(0, first)),
    hash: raw.slice(first + 1, second),
  };
}

/** The stored form of an event (for the test backdoor, which rewrites events). */
export function encodeEvent(event: AuditEvent, label: string): string {
  return `${event.seq}\n${event.hash}\n${label}\n${eventBody(event)}`;
}
