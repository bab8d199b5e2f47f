/**
 * Cold import: `await import(…)` timed inside fresh Node processes (no tsx, no source condition, so
 * the built packages are what loads), against a bare `import('zod')` measured in the same run,
 * interleaved so machine noise hits every subject alike. Needs `npm run build` first.
 * - `@agentvault/core` (target ≤ 120 ms, and its ratio to zod: zod is most of it);
 * - `@agentvault/core/errors` and `@agentvault/client` (no zod: what a client-only app pays);
 * - `@agentvault/core/http` (the HTTP layer, which loads on mounting, not with the main entry).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { check, printChecks } from './lib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_IMPORT_RUNS ?? 9);
const SUBJECTS = ['zod', '@agentvault/core', '@agentvault/core/errors', '@agentvault/client', '@agentvault/core/http'];
const execFileAsync = promisify(execFile);

async function coldImportMs(specifier: string): Promise<number> {
  const code = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT });
  return Number(stdout);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

export async function run(): Promise<void> {
  const built = ['core', 'client'].every((pkg) => existsSync(`${ROOT}packages/${pkg}/dist/index.js`));
  if (!built) {
    console.log('skipped: cold import measures the built packages; run `npm run build` first');
    return;
  }
  const samples = new Map<string, number[]>(SUBJECTS.map((subject) => [subject, []]));
  for (let round = 0; round < RUNS; round += 1) {
    for (const subject of SUBJECTS) samples.get(subject)!.push(await coldImportMs(subject));
  }
  const zod = median(samples.get('zod')!);
  console.log(`\nCold import in a fresh process, ${RUNS} runs each, interleaved (ms)`);
  console.table(
    SUBJECTS.map((subject) => {
      const values = samples.get(subject)!;
      return {
        'import': subject,
        'min': Math.min(...values).toFixed(1),
        'median': median(values).toFixed(1),
        'max': Math.max(...values).toFixed(1),
        '× zod (median)': (median(values) / zod).toFixed(2),
      };
    }),
  );
  const core = median(samples.get('@agentvault/core')!);
  printChecks('Cold import checks', [
    check('import("@agentvault/core") median, ms', core, '≤ 120', (ms) => ms <= 120),
    // Zod is most of it: below 1.0 only once the vault's schemas load on first use (not done).
    check('import("@agentvault/core") ÷ import("zod")', core / zod, 'info', () => true),
    check('import("@agentvault/client") ÷ import("zod")', median(samples.get('@agentvault/client')!) / zod, '< 0.5', (ratio) => ratio < 0.5),
  ]);
}
