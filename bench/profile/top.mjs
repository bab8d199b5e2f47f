/* global process, console -- a Node.js script */
/**
 * The top entries of a `.cpuprofile` by self time, then self time by owner (the nearest frame on
 * the stack in our packages or a dependency, so `node:crypto` time counts for whoever called it):
 *   node bench/profile/top.mjs <file> [count] [--outside name]
 * With `--outside name`, samples with a frame of that name on their stack are left out (only the
 * synchronous stack: work after an `await` has no caller frame in a CPU profile).
 */
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const outsideAt = args.indexOf('--outside');
const outside = outsideAt === -1 ? null : args.splice(outsideAt, 2)[1];
const [file, count = '25'] = args;
if (!file) throw new Error('usage: node bench/profile/top.mjs <file.cpuprofile> [count] [--outside name]');
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const excluded = (id) => {
  for (let at = id; at !== undefined; at = parent.get(at)) if (nodes.get(at).callFrame.functionName === outside) return true;
  return false;
};
const self = new Map(); // node id → µs
const { samples, timeDeltas } = profile;
for (let i = 0; i < samples.length; i++) self.set(samples[i], (self.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0));
const byFunction = new Map();
let total = 0;
let left = 0;
for (const node of profile.nodes) {
  const us = self.get(node.id) ?? 0;
  total += us;
  if (outside && excluded(node.id)) {
    left += us;
    continue;
  }
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^.*\/(node_modules|packages)\//, '$1/')}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'}\t${where}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}
if (outside) console.log(`${((left / total) * 100).toFixed(1)}% of samples inside \`${outside}\` left out\n`);
const rows = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(count));
console.log('| self % | self ms | function | where |\n|---:|---:|---|---|');
for (const [key, us] of rows) {
  const [fn, where] = key.split('\t');
  console.log(`| ${((us / total) * 100).toFixed(1)} | ${(us / 1000).toFixed(0)} | \`${fn}\` | ${where} |`);
}

const owners = new Map();
const ownerOf = (id) => {
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const { url } = nodes.get(at).callFrame;
    const match = /\/(packages\/[^/]+\/dist\/[^/]+|node_modules\/(?:@[^/]+\/)?[^/]+)/.exec(url);
    if (match) return match[1];
  }
  return '(node / runtime)';
};
for (const node of profile.nodes) {
  const us = self.get(node.id) ?? 0;
  if (us === 0 || (outside && excluded(node.id))) continue;
  const owner = ownerOf(node.id);
  owners.set(owner, (owners.get(owner) ?? 0) + us);
}
console.log('\n| self % | owner (callees included) |\n|---:|---|');
for (const [owner, us] of [...owners].sort((a, b) => b[1] - a[1]).slice(0, 12))
  console.log(`| ${((us / total) * 100).toFixed(1)} | ${owner} |`);
