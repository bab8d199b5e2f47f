/**
 * `npm run redteam` runs every red-team probe; `npm run redteam -- flood` runs the named ones.
 * Each `bench/redteam/<name>.probe.ts` exports `probe` (see lib.ts). Exits 1 if a figure misses
 * its target. Everything runs on loopback, bounded in requests and time.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printFigures, type Probe } from './lib';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir)
  .filter((file) => file.endsWith('.probe.ts'))
  .map((file) => file.slice(0, -'.probe.ts'.length))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`unknown probe(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
let missed = 0;
for (const name of wanted.length > 0 ? wanted : available) {
  const { probe } = (await import(`./${name}.probe.ts`)) as { probe: Probe };
  const figures = await probe.run();
  printFigures(probe, figures);
  missed += figures.filter((figure) => figure.ok === false).length;
}
if (missed > 0) {
  console.error(`\n${missed} figure(s) missed their target`);
  process.exit(1);
}
