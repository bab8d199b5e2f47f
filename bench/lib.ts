/**
 * Benchmark helpers. Every figure is measured in the same run as its baseline and reported as a
 * ratio, because this machine is noisy; absolute numbers are for orientation only.
 */

export interface Measurement {
  name: string;
  ops: number;
  opsPerSec: number;
  /** Latency percentiles in ms (async measurements only). */
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface MeasureOptions {
  durationMs?: number;
  warmupMs?: number;
  /** Workers running the operation at once. */
  concurrency?: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Run an async operation from `concurrency` workers for a while; ops/s and latency percentiles. */
export async function measure(
  name: string,
  op: () => Promise<unknown>,
  options: MeasureOptions = {},
): Promise<Measurement> {
  const { durationMs = 2000, warmupMs = 300, concurrency = 1 } = options;
  const run = async (ms: number, latencies: number[] | null) => {
    const deadline = performance.now() + ms;
    let ops = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const start = performance.now();
          await op();
          latencies?.push(performance.now() - start);
          ops++;
        }
      }),
    );
    return ops;
  };
  await run(warmupMs, null);
  const latencies: number[] = [];
  const start = performance.now();
  const ops = await run(durationMs, latencies);
  const elapsed = performance.now() - start;
  latencies.sort((a, b) => a - b);
  return {
    name,
    ops,
    opsPerSec: (ops / elapsed) * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/** Run a synchronous operation in a tight loop; ops/s only (no per-op timing overhead). */
export function measureSync(name: string, op: () => unknown, options: MeasureOptions = {}): Measurement {
  const { durationMs = 2000, warmupMs = 300 } = options;
  const loop = (ms: number) => {
    const deadline = performance.now() + ms;
    let ops = 0;
    while (performance.now() < deadline) {
      for (let i = 0; i < 256; i++) op();
      ops += 256;
    }
    return ops;
  };
  loop(warmupMs);
  const start = performance.now();
  const ops = loop(durationMs);
  return { name, ops, opsPerSec: (ops / (performance.now() - start)) * 1000, p50Ms: null, p99Ms: null };
}

export interface Comparison {
  baseline: Measurement;
  subject: Measurement;
  /** Median of the per-round ratios subject/baseline (ops/s). */
  ratio: number;
  /** Lowest and highest per-round ratio, to show the noise. */
  spread: [number, number];
}

type Op = { name: string; run: () => unknown; async: boolean };

/** An operation to compare: `sync` ones run in a tight loop, `async` ones are awaited. */
export const syncOp = (name: string, run: () => unknown): Op => ({ name, run, async: false });
export const asyncOp = (name: string, run: () => Promise<unknown>): Op => ({ name, run, async: true });

/**
 * Measure `subject` against `baseline` in alternating short rounds and take the median per-round
 * ratio, so load that comes and goes on a shared machine hits both sides alike.
 */
export async function compare(
  baseline: Op,
  subject: Op,
  options: { rounds?: number; roundMs?: number; concurrency?: number } = {},
): Promise<Comparison> {
  const { rounds = 7, roundMs = 400, concurrency = 1 } = options;
  const once = (op: Op, ms: number) =>
    op.async
      ? measure(op.name, op.run as () => Promise<unknown>, { durationMs: ms, warmupMs: 50, concurrency })
      : Promise.resolve(measureSync(op.name, op.run, { durationMs: ms, warmupMs: 50 }));
  await once(baseline, 200);
  await once(subject, 200);
  const ratios: number[] = [];
  const all: { base: Measurement[]; subj: Measurement[] } = { base: [], subj: [] };
  for (let round = 0; round < rounds; round++) {
    const b = await once(baseline, roundMs);
    const s = await once(subject, roundMs);
    all.base.push(b);
    all.subj.push(s);
    ratios.push(s.opsPerSec / b.opsPerSec);
  }
  const median = <T>(items: T[], key: (t: T) => number) =>
    [...items].sort((x, y) => key(x) - key(y))[Math.floor(items.length / 2)]!;
  return {
    baseline: median(all.base, (m) => m.opsPerSec),
    subject: median(all.subj, (m) => m.opsPerSec),
    ratio: median(ratios, (r) => r),
    spread: [Math.min(...ratios), Math.max(...ratios)],
  };
}

const fmt = (n: number | null, digits = 0) =>
  n === null || Number.isNaN(n)
    ? '-'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function printMeasurements(title: string, rows: Measurement[]): void {
  console.log(`\n${title}`);
  console.table(
    rows.map((r) => ({
      'operation': r.name,
      'ops/s': fmt(r.opsPerSec),
      'p50 ms': fmt(r.p50Ms, 3),
      'p99 ms': fmt(r.p99Ms, 3),
    })),
  );
}

export interface Check {
  what: string;
  value: number;
  target: string;
  pass: boolean;
}

/** `value` against a target, e.g. check('ratio', 0.41, '>= 0.3', (v) => v >= 0.3). */
export function check(what: string, value: number, target: string, pass: (value: number) => boolean): Check {
  return { what, value, target, pass: pass(value) };
}

export function printChecks(title: string, checks: Check[]): void {
  console.log(`\n${title}`);
  console.table(
    checks.map((c) => ({
      figure: c.what,
      value: fmt(c.value, 3),
      target: c.target,
      result: c.target === 'info' ? 'info' : c.pass ? 'PASS' : 'MISS',
    })),
  );
}
