/**
 * The library's own instrumentation, on the OpenTelemetry metrics API: a host that registered a
 * MeterProvider (its existing OpenTelemetry setup, or `@agentvault/server`'s Prometheus endpoint)
 * receives these; without one every call is a no-op. Attributes never carry a value, a credential
 * or a secret's path.
 */
import type * as OpenTelemetry from '@opentelemetry/api';
import { lazyRequire } from './lazy-require';

interface Instruments {
  dataKeyCache: OpenTelemetry.Counter;
  keyService: OpenTelemetry.Histogram;
  maintenance: OpenTelemetry.Counter;
}

/**
 * Where every copy of the OpenTelemetry API (major version 1) keeps what a host registered. The API
 * itself is loaded only once a meter provider is there: loading it costs a cold start about 20 ms,
 * and without a provider every instrument is a no-op anyway.
 */
const REGISTRY = Symbol.for('opentelemetry.js.api.1');

const api = lazyRequire<typeof OpenTelemetry>('@opentelemetry/api');
let instruments: Instruments | null = null;
let madeBy: OpenTelemetry.MeterProvider | null = null;

/**
 * Made from the global provider in force, so one registered after import (or swapped) receives them;
 * null while none is registered.
 */
function get(): Instruments | null {
  if ((globalThis as Record<symbol, { metrics?: unknown } | undefined>)[REGISTRY]?.metrics === undefined) return null;
  const provider = api().metrics.getMeterProvider();
  if (instruments && madeBy === provider) return instruments;
  madeBy = provider;
  const meter = provider.getMeter('@agentvault/core');
  instruments = {
    dataKeyCache: meter.createCounter('agentvault.data_key_cache.lookups', {
      description: 'Data-key cache lookups by result (hit, miss, shared: joined an unwrap in flight)',
    }),
    keyService: meter.createHistogram('agentvault.key_service.duration', {
      description: 'Key-wrapper (KMS) call latency by operation and outcome',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10] },
    }),
    maintenance: meter.createCounter('agentvault.maintenance.outcomes', {
      description: 'Maintenance work done, by step and outcome',
    }),
  };
  return instruments;
}

export function recordDataKeyLookup(result: 'hit' | 'miss' | 'shared'): void {
  get()?.dataKeyCache.add(1, { result });
}

export function recordKeyServiceCall(operation: string, wrapper: string, seconds: number, outcome: 'ok' | 'error'): void {
  get()?.keyService.record(seconds, { operation, wrapper, outcome });
}

export function recordMaintenance(step: string, outcome: string, count: number): void {
  if (count > 0) get()?.maintenance.add(count, { step, outcome });
}
