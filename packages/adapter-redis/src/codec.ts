/**
 * Records and events as Redis values. A record is a hash: one field per top-level record field,
 * JSON-encoded (bytes as `{"$b64": …}`), plus `_rev`; so scripts read a field with HGET and compare
 * JSON text (`null`, numbers, quoted strings) without decoding a document.
 */
import type {
  AuditDraft, AuditEvent, AuditEventInput, RecordKey, RecordKind, RecordTypes, Stored,
} from '@agentvault/core';

const BYTES = '$b64';

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key];
  return original instanceof Uint8Array
    ? { [BYTES]: Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64') }
    : value;
}

/** Bytes back from `{ "$b64": … }`, in place: a walk of the parsed value costs far less than a JSON.parse reviver. */
function revive(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if (typeof object[BYTES] === 'string') return new Uint8Array(Buffer.from(object[BYTES], 'base64'));
  for (const key of Object.keys(object)) object[key] = revive(object[key]);
  return object;
}

export const encodeValue = (value: unknown): string => JSON.stringify(value ?? null, replacer);

export const decodeValue = (text: string): unknown => (text.includes(BYTES) ? revive(JSON.parse(text)) : JSON.parse(text));

/** A record as the flat field list HSET takes. */
export function recordFields(record: object): string[] {
  const fields: string[] = [];
  for (const [name, value] of Object.entries(record)) if (value !== undefined) fields.push(name, encodeValue(value));
  return fields;
}

/** A record as the scripts reply it (`doc` in the Lua prelude), or null for '' (absent). */
export function decodeStored<K extends RecordKind>(kind: K, doc: string): Stored<K> | null {
  if (!doc) return null;
  const fields = decodeValue(doc) as Record<string, unknown>;
  // Fields in name order: a large hash replies in no particular order.
  const record: Record<string, unknown> = {};
  for (const name of Object.keys(fields).sort()) if (name !== '_rev') record[name] = fields[name];
  return { kind, record: record as unknown as RecordTypes[K], rev: Number(fields._rev) };
}

export const versionId = (path: string, version: number): string => `${path}!${String(version).padStart(10, '0')}`;

/** A record key's id within its tenant and kind (secrets by path, versions by path and padded number). */
export function localId(key: RecordKey): string {
  if (key.kind === 'secret') return key.path;
  if (key.kind === 'version') return versionId(key.path, key.version);
  return key.id;
}

/** The tag index a tag query reads (see `entries` in the Lua prelude). */
export const tagIndex = (name: string, value: string): string =>
  `i:tag:${Buffer.byteLength(name)}:${name}=${value}`;

/**
 * An event as JSON without its closing brace: scripts append the outcome (audited read) and `seq`.
 * Only the contract's fields, in a fixed order.
 */
export function openEvent(event: AuditDraft | AuditEventInput): string {
  const draft = {
    id: event.id,
    tenant: event.tenant,
    type: event.type,
    path: event.path,
    actor: event.actor,
    actorDescription: event.actorDescription,
    ip: event.ip,
    userAgent: event.userAgent,
    timestamp: event.timestamp,
    details: event.details,
  };
  const outcome = 'success' in event ? { success: event.success, error: event.error, version: event.version } : {};
  return JSON.stringify({ ...draft, ...outcome }).slice(0, -1);
}

export const decodeEvent = (json: string): AuditEvent => JSON.parse(json) as AuditEvent;
