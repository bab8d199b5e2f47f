#!/usr/bin/env node
/* global process, console, URL -- a Node.js script */
// The published form of a workspace package's manifest, swapped in for `npm pack` and swapped back
// after. Run from a package directory by its `prepack` / `postpack` scripts:
//
//   node ../../scripts/pack/manifest.mjs prepack    # build, LICENSE in, published manifest in
//   node ../../scripts/pack/manifest.mjs postpack   # the repository's manifest back
//   node ../../scripts/pack/manifest.mjs prepublishOnly   # refuses: publish the tarballs
//
// Why: in the repository every `exports` entry starts with the `@agentvault/source` condition (tests,
// tsx and the type-check read `src/*.ts`, see TOOLCHAIN.md), and the bins are launchers that run the
// TypeScript source until there is a build. Neither `src` nor tsx is shipped, so the tarball carries
// the manifest without them: `exports` with `import`/`require` only, the bin pointing at the build
// itself (dist/main.js, which starts with a shebang), no scripts, no devDependencies.
//
// npm publish re-reads package.json from the directory after postpack, so a directory publish would
// register the repository's manifest: releases publish the packed tarballs instead (README,
// "Releasing"), and every package's `prepublishOnly` refuses a directory publish.
//
// AGENTVAULT_PACK_PREBUILT=1 skips the build (the smoke test packs right after `npm run build`).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SOURCE_CONDITION = '@agentvault/source';
const BACKUP = '.package.repo.json';
const ROOT_LICENSE = new URL('../../LICENSE', import.meta.url);

/** `exports` without the source condition, at any depth. */
function stripCondition(value) {
  if (typeof value !== 'object' || value === null) return value;
  const out = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key !== SOURCE_CONDITION) out[key] = stripCondition(inner);
  }
  return out;
}

/** The manifest as it goes into the tarball (a pure function of the repository's manifest). */
export function publishedManifest(pkg) {
  const out = { ...pkg };
  if (out.exports) out.exports = stripCondition(out.exports);
  if (out.bin) {
    out.bin = Object.fromEntries(Object.keys(out.bin).map((name) => [name, './dist/main.js']));
    out.files = out.files.filter((entry) => entry !== 'bin');
  }
  delete out.scripts;
  delete out.devDependencies;
  return out;
}

/** Every file the published manifest points at, so a missing build fails the pack, not the user. */
export function referencedFiles(pkg) {
  const files = new Set();
  const walk = (value) => {
    if (typeof value === 'string') files.add(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(pkg.exports);
  walk(pkg.bin);
  for (const field of ['main', 'types']) if (pkg[field]) files.add(pkg[field]);
  for (const map of Object.values(pkg.typesVersions ?? {})) Object.values(map).forEach(walk);
  return [...files].filter((file) => !file.endsWith('/package.json') && !file.includes('*'));
}

/** The repository's manifest back, if a pack left the published one in place (idempotent). */
export function restore(dir) {
  const backup = join(dir, BACKUP);
  if (existsSync(backup)) renameSync(backup, join(dir, 'package.json'));
}

function prepack(dir) {
  restore(dir); // a pack interrupted after prepack left the published manifest behind
  if (process.env.AGENTVAULT_PACK_PREBUILT !== '1') execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: 'inherit' });
  const manifestPath = join(dir, 'package.json');
  const text = readFileSync(manifestPath, 'utf8');
  const published = publishedManifest(JSON.parse(text));
  const missing = referencedFiles(published).filter((file) => !existsSync(join(dir, file)));
  if (missing.length > 0) throw new Error(`${published.name}: the manifest points at missing files: ${missing.join(', ')}`);
  for (const target of Object.values(published.bin ?? {})) {
    if (!readFileSync(join(dir, target), 'utf8').startsWith('#!/usr/bin/env node')) {
      throw new Error(`${published.name}: ${target} has no shebang`);
    }
  }
  copyFileSync(ROOT_LICENSE, join(dir, 'LICENSE'));
  writeFileSync(join(dir, BACKUP), text);
  writeFileSync(manifestPath, `${JSON.stringify(published, null, 2)}\n`);
}

const main = process.argv[1] === fileURLToPath(import.meta.url);
const [command] = main ? process.argv.slice(2) : [];
if (command === 'prepack') prepack(process.cwd());
else if (command === 'postpack') restore(process.cwd());
else if (command === 'prepublishOnly') {
  console.error('Publish the packed, smoke-tested tarballs instead: see "Releasing" in the README.');
  process.exit(1);
} else if (command !== undefined) {
  console.error('usage: manifest.mjs prepack|postpack|prepublishOnly');
  process.exit(2);
}
