/**
 * Every adapter call goes through this guard: domain errors (AgentVaultError) pass through, and
 * anything else is wrapped with its cause and a prefix naming the adapter, so no driver error
 * type leaks out of the vault.
 */
import type { AuditEvent } from '../contracts/records';
import type { ReadResult, ReadSecretInput, StorageAdapter } from '../contracts/storage';
import { readEvent } from '../domain/read-outcome';
import { AgentVaultError } from '../errors';

/** Hears how many events a call appended to a tenant; for a read that reported its seq, the event itself. */
export type AppendListener = (tenant: string, count: number, event?: AuditEvent) => void;

function wrapError(adapter: string, error: unknown): AgentVaultError {
  if (error instanceof AgentVaultError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AgentVaultError(`${adapter}: ${message}`, 'internal_error', 500, { cause: error });
}

/** Tell `onAppended` how many events a successful call appended, per tenant. */
function noteEvents(method: string, input: unknown, output: unknown, onAppended: AppendListener): void {
  if (method === 'readSecret') {
    const read = input as ReadSecretInput;
    const result = output as ReadResult;
    if (result.seq === undefined) onAppended(read.event.tenant, 1);
    else {
      const number = result.outcome === 'ok' ? result.version.version : null;
      const event = readEvent(read.event, result.outcome, read.version, number);
      onAppended(read.event.tenant, 1, Object.assign(event, { seq: result.seq }));
    }
    return;
  }
  const call = input as { event?: { tenant: string }; events?: Array<{ tenant: string }> } | undefined;
  if (method !== 'commit') {
    if (call?.event) onAppended(call.event.tenant, 1);
    return;
  }
  const events = call?.events ?? [];
  if (events.length === 1) onAppended(events[0]!.tenant, 1);
  else if (events.length > 1) {
    const counts = new Map<string, number>();
    for (const event of events) counts.set(event.tenant, (counts.get(event.tenant) ?? 0) + 1);
    for (const [tenant, count] of counts) onAppended(tenant, count);
  }
}

/**
 * Every method of the adapter (own or inherited), wrapped once into a plain object. After each call
 * that appended audit events, `onAppended` hears how many, per tenant (the audit sealer's N trigger).
 */
export function guardStorage(storage: StorageAdapter, onAppended: AppendListener = () => {}): StorageAdapter {
  const guarded: Record<string, unknown> = { name: storage.name };
  const rethrow = (error: unknown) => {
    throw wrapError(storage.name, error);
  };
  for (
    let proto: object | null = storage;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const method = (storage as unknown as Record<string, unknown>)[key];
      if (key === 'constructor' || key in guarded || typeof method !== 'function') continue;
      const tracksEvents = key === 'readSecret' || key === 'writeVersion' || key === 'commit';
      guarded[key] = (...args: unknown[]) => {
        try {
          const result = (method.apply(storage, args) as Promise<unknown>).then(undefined, rethrow);
          if (!tracksEvents) return result;
          return result.then((value) => {
            noteEvents(key, args[0], value, onAppended);
            return value;
          });
        } catch (error) {
          return Promise.reject(wrapError(storage.name, error));
        }
      };
    }
  }
  return guarded as unknown as StorageAdapter;
}
