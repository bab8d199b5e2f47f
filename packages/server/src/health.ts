/**
 * Liveness and readiness. `/healthz` answers while the process serves; `/readyz` answers ready only
 * when storage and the key service both respond, each within a bound, so a load balancer stops
 * sending traffic to an instance whose database or KMS is gone and sends it again when they return.
 */
import { randomBytes } from 'node:crypto';
import type { KeyWrapper, StorageAdapter } from '@agentvault/core';

export interface Readiness {
  ready: boolean;
  checks: { storage: 'ok' | 'unavailable'; keys: 'ok' | 'unavailable' };
}

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function passes(ms: number, probe: () => Promise<unknown>): Promise<'ok' | 'unavailable'> {
  try {
    await within(ms, probe());
    return 'ok';
  } catch {
    return 'unavailable';
  }
}

export interface ReadinessOptions {
  /** Bound on each probe. Default 2 s. */
  timeoutMs?: number;
  /** How long a key-service answer is reused, so probes do not become KMS traffic. Default 10 s. */
  keyProbeTtlMs?: number;
  now?: () => number;
}

export function readinessProbe(storage: StorageAdapter, keys: KeyWrapper, options: ReadinessOptions = {}) {
  const timeoutMs = options.timeoutMs ?? 2000;
  const keyTtl = options.keyProbeTtlMs ?? 10_000;
  const now = options.now ?? Date.now;
  let keysChecked: { at: number; result: 'ok' | 'unavailable' } | null = null;

  return async function readiness(): Promise<Readiness> {
    const storageCheck = passes(timeoutMs, () =>
      // A read of a tenant nobody has: it reaches the backend and touches no data.
      storage.queryAudit({ tenant: '.readyz', after: null, order: 'asc', limit: 1 }));
    let keysCheck: Promise<'ok' | 'unavailable'>;
    if (keysChecked && keysChecked.result === 'ok' && now() - keysChecked.at < keyTtl) {
      keysCheck = Promise.resolve(keysChecked.result);
    } else {
      keysCheck = passes(timeoutMs, () => keys.wrap(randomBytes(32), { purpose: 'readiness-probe' })).then((result) => {
        keysChecked = { at: now(), result };
        return result;
      });
    }
    const [storageResult, keysResult] = await Promise.all([storageCheck, keysCheck]);
    return {
      ready: storageResult === 'ok' && keysResult === 'ok',
      checks: { storage: storageResult, keys: keysResult },
    };
  };
}
