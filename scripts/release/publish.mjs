#!/usr/bin/env node
/* global process, console, URL */
// `npm run release`: build, pack every package into ./release and smoke-test those tarballs
// (npm run smoke), then publish exactly those tarballs and tag the release. Publishing a tarball,
// not a directory, is what puts the published manifest (scripts/pack/manifest.mjs) into the
// registry's metadata too. `npm run release -- --dry-run` does everything but publish and tag.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DRY_RUN = process.argv.includes('--dry-run');
const sh = (command, args) => execFileSync(command, args, { cwd: ROOT, stdio: 'inherit' });

sh('npm', ['run', 'build']);
sh('npm', ['run', 'smoke', '--', '--tarballs', 'release']);
const tarballs = readdirSync(join(ROOT, 'release')).filter((file) => file.endsWith('.tgz'));
for (const tarball of tarballs) {
  sh('npm', ['publish', join('release', tarball), '--access', 'public', ...(DRY_RUN ? ['--dry-run'] : [])]);
}
if (!DRY_RUN) sh('npx', ['changeset', 'tag']);
console.log(`${DRY_RUN ? 'would publish' : 'published'}: ${tarballs.join(', ')}`);
