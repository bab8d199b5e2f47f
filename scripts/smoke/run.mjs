#!/usr/bin/env node
/* global process, console, URL, fetch, setTimeout, clearTimeout -- a Node.js script */
// `npm run smoke` (after `npm run build`): the packed-install smoke test. Every publishable package
// is packed with `npm pack` (its real prepack: LICENSE in, the published manifest swapped in), then
// throwaway apps outside the repository install only those tarballs plus the public registry, and
// use them as a user would: Express 4 and 5 and Koa 2 and 3 apps serving a secret over HTTP, the
// client installed alone reading it, the CLI and the MCP binary from their tarballs, CommonJS and
// ESM consumers loading every entry point, TypeScript consumers type-checking under node16, bundler
// and commonjs (node10) resolution; publint and arethetypeswrong on every tarball. Prints an app ×
// package matrix, pack sizes and the client's install size; exits 1 on any failure.
//
//   npm run smoke                 # apps in a temp dir, removed afterwards
//   npm run smoke -- --keep       # keep the temp dir (its path is printed) to poke at a failure
//   npm run smoke -- --tarballs release   # pack into ./release and keep the tarballs there
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { restore, SOURCE_CONDITION } from '../pack/manifest.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
const BIN = join(ROOT, 'node_modules', '.bin');
const KEEP = process.argv.includes('--keep');
const run = promisify(execFile);
const started = Date.now();

const packages = readdirSync(join(ROOT, 'packages'))
  .filter((dir) => existsSync(join(ROOT, 'packages', dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => manifest.name?.startsWith('@agentvault/') && !manifest.private)
  .map(({ dir, manifest }) => ({ dir, name: manifest.name, version: manifest.version }));
const short = (name) => name.replace('@agentvault/', '');

/** results[row][package] = true | false; notes hold the reason of every failure. */
const results = new Map();
const notes = [];
function record(row, pkg, ok, detail = '') {
  if (!results.has(row)) results.set(row, new Map());
  const cells = results.get(row);
  cells.set(pkg, cells.get(pkg) === false ? false : ok);
  if (!ok) notes.push(`${row} × ${short(pkg)}: ${detail}`.trim());
}
const log = (line) => console.log(`[smoke ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${line}`);

async function sh(command, args, options = {}) {
  try {
    const { stdout, stderr } = await run(command, args, { maxBuffer: 64 * 1024 * 1024, timeout: 240_000, ...options });
    return { ok: true, stdout, stderr };
  } catch (error) {
    const stderr = error.killed ? `${command} ${args[0]}: timed out after ${(options.timeout ?? 240_000) / 1000} s\n${error.stderr ?? ''}` : error.stderr ?? String(error.message);
    return { ok: false, stdout: error.stdout ?? '', stderr };
  }
}
const lastLines = (text, n = 6) => text.trim().split('\n').slice(-n).join(' | ');

// ---------------------------------------------------------------------------------------------
// 1. Pack every package (dist must be built: the prepack check fails on a missing file).

const work = mkdtempSync(join(tmpdir(), 'agentvault-smoke-'));
// --tarballs <dir>: pack there and leave the tarballs for `npm run release` to publish.
const tarballsAt = process.argv.indexOf('--tarballs');
const tarDir = tarballsAt > 0 ? join(process.cwd(), process.argv[tarballsAt + 1]) : join(work, 'tarballs');
rmSync(tarDir, { recursive: true, force: true });
mkdirSync(tarDir, { recursive: true });
log(`packing ${packages.length} packages into ${tarDir}`);
// An interrupted pack would leave a published manifest in the working tree: put them back.
const restoreManifests = () => packages.forEach(({ dir }) => restore(join(ROOT, 'packages', dir)));
process.once('SIGINT', () => {
  restoreManifests();
  process.exit(130);
});
const packed = await sh('npm', ['pack', '--json', '--pack-destination', tarDir, ...packages.flatMap((p) => ['-w', `packages/${p.dir}`])], {
  cwd: ROOT,
  env: { ...process.env, AGENTVAULT_PACK_PREBUILT: '1' },
});
restoreManifests();
if (!packed.ok) {
  console.error(`npm pack failed (run \`npm run build\` first):\n${packed.stderr}`);
  process.exit(1);
}
const packInfo = new Map(JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))).map((info) => [info.name, info]));
const tarball = (name) => join(tarDir, packInfo.get(name).filename);

for (const { name } of packages) {
  const info = packInfo.get(name);
  const files = new Set(info.files.map((file) => file.path));
  const { stdout } = await sh('tar', ['-xzOf', tarball(name), 'package/package.json']);
  const problems = [];
  if (stdout.includes(SOURCE_CONDITION)) problems.push(`the ${SOURCE_CONDITION} condition is published`);
  const manifest = JSON.parse(stdout);
  for (const target of Object.values(manifest.bin ?? {})) if (!files.has(target.replace(/^\.\//, ''))) problems.push(`bin ${target} not shipped`);
  for (const required of ['LICENSE', 'README.md', 'CHANGELOG.md', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.cts']) {
    if (!files.has(required)) problems.push(`${required} not shipped`);
  }
  if (manifest.scripts || manifest.devDependencies) problems.push('scripts or devDependencies published');
  if (manifest.publishConfig?.access !== 'public') problems.push('publishConfig.access is not public');
  record('manifest', name, problems.length === 0, problems.join('; '));
}

// ---------------------------------------------------------------------------------------------
// 2. Throwaway apps: tarballs plus the public registry. Overrides pin every @agentvault package a
// tarball depends on to its tarball too (none of them comes from the registry).

const overrides = Object.fromEntries(packages.map(({ name }) => [name, `file:${tarball(name)}`]));
function app(appName, deps, { type = 'module', files = [] } = {}) {
  const dir = join(work, 'apps', appName);
  mkdirSync(dir, { recursive: true });
  const dependencies = Object.fromEntries(
    Object.entries(deps).map(([name, spec]) => [name, spec ?? `file:${tarball(name)}`]),
  );
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `smoke-${appName}`, private: true, type, dependencies, overrides }, null, 2));
  for (const file of files) cpSync(join(FIXTURES, file), join(dir, file), { recursive: true });
  return dir;
}
// Generous: the every-package app compiles better-sqlite3 from source (no prebuilt binary is
// reachable here), minutes on a busy 2-core machine.
async function install(dir) {
  return sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, timeout: 900_000 });
}

const api = { '@agentvault/core': null, '@agentvault/adapter-memory': null, '@agentvault/kms-local': null };
const apiPackages = Object.keys(api);
const servers = [
  { row: 'express 5 app', framework: 'express', deps: { ...api, express: '^5' }, major: 5 },
  { row: 'express 4 app', framework: 'express', deps: { ...api, express: '^4' }, major: 4 },
  { row: 'koa 3 app', framework: 'koa', deps: { ...api, koa: '^3' }, major: 3 },
  { row: 'koa 2 app', framework: 'koa', deps: { ...api, koa: '^2' }, major: 2 },
];
for (const server of servers) {
  server.dir = app(server.row.replaceAll(' ', '-'), server.deps, { files: ['vault.mjs', `server-${server.framework}.mjs`] });
}
const clientApp = app('client', { '@agentvault/client': null }, { files: ['client.mjs'] });
const toolsApp = app('cli-and-mcp', { '@agentvault/cli': null, '@agentvault/mcp': null });
const everythingDeps = Object.fromEntries(packages.map(({ name }) => [name, null]));
const everything = app(
  'every-package',
  // The peers a user of every entry point installs: pg for adapter-postgres, vitest and fast-check
  // for the conformance suites (core/testing); the others are installed by npm as required peers.
  { ...everythingDeps, 'pg': '^8.11.0', 'vitest': '~4.1.0', 'fast-check': '^4.10.2', 'typescript': '~5.9.3', '@types/node': '^20.19.0' },
  { type: 'commonjs', files: ['entries.cjs', 'entries.mjs', 'ts'] },
);

// Installs two at a time (the machine is shared); publint and attw run alongside.
log('installing 8 apps from the tarballs');
const installQueue = [...servers.map((s) => [s.row, s.dir, apiPackages]),
  ['client app', clientApp, ['@agentvault/client']],
  ['cli+mcp app', toolsApp, ['@agentvault/cli', '@agentvault/mcp']],
  ['every-package app', everything, packages.map((p) => p.name)]];
const installed = new Map();
async function installWorker() {
  for (let next = installQueue.shift(); next; next = installQueue.shift()) {
    const [row, dir, pkgs] = next;
    const result = await install(dir);
    installed.set(dir, result.ok);
    const reason = result.stderr.split('\n').filter((l) => /ERESOLVE|Could not resolve|peer|E404|error \w|timed out/.test(l)).slice(0, 4).join(' | ');
    if (!result.ok) for (const pkg of pkgs) record(row, pkg, false, `npm install: ${reason || lastLines(result.stderr, 4)}`);
    log(`installed ${row}: ${result.ok ? 'ok' : 'FAILED'}`);
  }
}

const lintOutput = [];
async function lintTarballs() {
  for (const { name } of packages) {
    const publint = await sh(join(BIN, 'publint'), ['run', '--strict', tarball(name)]);
    record('publint --strict', name, publint.ok, lastLines(publint.stdout + publint.stderr));
    lintOutput.push(`publint ${name}: ${lastLines(publint.stdout + publint.stderr, 1)}`);
    const attw = await sh(join(BIN, 'attw'), [tarball(name), '--format', 'table-flipped', '--no-color', '--no-emoji']);
    record('attw (node10/16, bundler)', name, attw.ok, lastLines(attw.stdout + attw.stderr, 12));
    lintOutput.push(`attw ${name}: ${attw.ok ? 'no problems' : 'PROBLEMS'}\n${attw.stdout.trim()}`);
  }
}
await Promise.all([installWorker(), installWorker(), lintTarballs()]);

// ---------------------------------------------------------------------------------------------
// 3. The API apps answer a real secret read over HTTP.

const secretPath = 'smoke/app/token';
const secretValue = `v-${randomBytes(12).toString('hex')}`;
const children = [];
let clientBytes;

function startServer(server) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`server-${server.framework}.mjs`], {
      cwd: server.dir,
      env: { ...process.env, SMOKE_SECRET_PATH: secretPath, SMOKE_SECRET_VALUE: secretValue },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => resolve({ error: `no announcement in 30 s: ${lastLines(err)}` }), 30_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, out.indexOf('\n'))));
      }
    });
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ error: `exited with ${code}: ${lastLines(err)}` });
    });
  });
}

async function checkServer(server) {
  if (!installed.get(server.dir)) return;
  const started = await startServer(server);
  if (started.error) {
    for (const pkg of apiPackages) record(server.row, pkg, false, started.error);
    return;
  }
  server.url = started.url;
  server.adminKey = started.adminKey;
  const problems = [];
  if (!started.framework.startsWith(`${server.framework} ${server.major}.`)) problems.push(`installed ${started.framework}`);
  const read = await fetch(`${started.url}/secrets/${encodeURIComponent(secretPath)}`, {
    headers: { authorization: `Bearer ${started.adminKey}` },
  });
  const body = await read.json().catch(() => null);
  if (read.status !== 200 || body?.value !== secretValue) problems.push(`GET /secrets: ${read.status} ${JSON.stringify(body)?.slice(0, 200)}`);
  const anonymous = await fetch(`${started.url}/secrets/${encodeURIComponent(secretPath)}`);
  const refusal = await anonymous.json().catch(() => null);
  if (anonymous.status !== 401 || refusal?.error?.code !== 'unauthorized') problems.push(`no credential: ${anonymous.status}`);
  const outside = await fetch(started.url.replace(/\/v1$/, '/'));
  if ((await outside.json().catch(() => null))?.service !== 'your app') problems.push('the app\'s own route did not answer');
  for (const pkg of apiPackages) record(server.row, pkg, problems.length === 0, `${started.framework}: ${problems.join('; ')}`);
}

try {
  log('starting the API apps');
  await Promise.all(servers.map(checkServer));
  const target = servers.find((s) => s.url);

  log('client, CLI and MCP against the running app');
  // 4. The client, installed alone, against a running app; its install size.
  if (installed.get(clientApp) && target) {
    const result = await sh(process.execPath, ['client.mjs'], {
      cwd: clientApp,
      env: { ...process.env, SMOKE_URL: target.url, SMOKE_KEY: target.adminKey, SMOKE_SECRET_PATH: secretPath },
    });
    const facts = result.ok ? JSON.parse(result.stdout.trim().split('\n').pop()) : null;
    const ok = facts?.value === secretValue && facts.missing?.notFound && facts.missing.base && facts.missing.code === 'not_found';
    record(`client app → ${target.row}`, '@agentvault/client', Boolean(ok), result.ok ? JSON.stringify(facts) : lastLines(result.stderr));
  }
  const clientSize = installed.get(clientApp) ? await sh('du', ['-sb', join(clientApp, 'node_modules')]) : null;
  clientBytes = clientSize?.ok ? Number(clientSize.stdout.split('\t')[0]) : NaN;
  record('client install ≤ 2 MB', '@agentvault/client', clientBytes <= 2 * 1024 * 1024, `${clientBytes} bytes`);

  // 5. The CLI and the MCP server from their tarballs, against the same app.
  if (installed.get(toolsApp) && target) {
    const bin = (name) => join(toolsApp, 'node_modules', '.bin', name);
    const env = { ...process.env, AGENTVAULT_URL: target.url, ASS_AGENT_KEY: target.adminKey };
    const help = await sh(bin('agentvault'), ['--help'], { cwd: toolsApp, env });
    record('cli: agentvault --help', '@agentvault/cli', help.ok && /Usage: agentvault/.test(help.stdout), lastLines(help.stdout + help.stderr));
    const get = await sh(bin('agentvault'), ['get', secretPath], { cwd: toolsApp, env });
    record(`cli: agentvault get → ${target.row}`, '@agentvault/cli', get.ok && get.stdout.trim() === secretValue, lastLines(get.stderr));
    const mcp = await mcpSession(bin('agentvault-mcp'), { ...process.env, AGENTVAULT_URL: target.url, AGENTVAULT_TOKEN: target.adminKey });
    record('mcp: initialize, tools/list, get_secret', '@agentvault/mcp', mcp.ok, mcp.detail);
  }

  log('every entry point from CommonJS and ESM');
  // 6. Every entry point of every package from CommonJS and ESM, and the TypeScript consumers.
  if (installed.get(everything)) {
    const names = packages.map((p) => p.name);
    for (const [row, file] of [['require() (CJS)', 'entries.cjs'], ['import() (ESM)', 'entries.mjs']]) {
      const result = await sh(process.execPath, [file, ...names], { cwd: everything });
      const loaded = result.ok ? JSON.parse(result.stdout.trim().split('\n').pop()) : {};
      for (const name of names) record(row, name, loaded[name] === 'ok', loaded[name] ?? lastLines(result.stderr));
      if (file === 'entries.cjs') {
        for (const name of apiPackages) record('CJS vault round trip', name, loaded.roundTrip === 'ok', loaded.roundTrip ?? lastLines(result.stderr));
      }
    }
    log('type-checking the TypeScript consumers');
    await typeCheck(everything, names);
  }
} finally {
  for (const child of children) child.kill();
}

/** tsc over one file per package (ts/<package>.ts, and a .mts copy for node16's ESM side). */
async function typeCheck(dir, names) {
  const tsDir = join(dir, 'ts');
  for (const file of readdirSync(tsDir)) cpSync(join(tsDir, file), join(tsDir, file.replace(/\.ts$/, '.mts')));
  const modes = [
    ['tsc: node16', { module: 'node16', moduleResolution: 'node16' }, ['ts/*.ts', 'ts/*.mts']],
    ['tsc: bundler', { module: 'esnext', moduleResolution: 'bundler' }, ['ts/*.ts']],
    ['tsc: commonjs (node10)', { module: 'commonjs', moduleResolution: 'node10' }, ['ts/*.ts']],
  ];
  for (const [row, options, include] of modes) {
    const config = `tsconfig.${row.replace(/\W+/g, '-')}.json`;
    // skipLibCheck as nearly every app has it (tsc --init): errors in dependencies' own .d.ts files
    // are theirs; missing or untyped @agentvault modules still fail in the consumer files.
    const compilerOptions = { ...options, target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] };
    writeFileSync(join(dir, config), JSON.stringify({ compilerOptions, include }, null, 2));
    const result = await sh(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', config, '--pretty', 'false'], { cwd: dir });
    const errors = (result.stdout + result.stderr).split('\n').filter((line) => /error TS\d+/.test(line));
    for (const name of names) {
      const mine = errors.filter((line) => line.startsWith(`ts/${short(name)}.`) || line.includes(`node_modules/${name}/`));
      record(row, name, mine.length === 0, mine.slice(0, 3).join(' | '));
    }
    const stray = errors.filter((line) => !names.some((name) => line.startsWith(`ts/${short(name)}.`) || line.includes(`node_modules/${name}/`)));
    if (stray.length > 0 || (!result.ok && errors.length === 0)) {
      record(row, 'other', false, (stray.length ? stray : [lastLines(result.stdout + result.stderr)]).slice(0, 3).join(' | '));
    }
  }
}

/** Speak MCP over stdio: initialize, tools/list, then tools/call get_secret. */
function mcpSession(command, env) {
  return new Promise((resolve) => {
    const child = spawn(command, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let buffer = '';
    let stderr = '';
    const pending = new Map();
    const finish = (ok, detail) => {
      clearTimeout(timer);
      child.kill();
      resolve({ ok, detail });
    };
    const timer = setTimeout(() => finish(false, `no answer in 30 s: ${lastLines(stderr)}`), 30_000);
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => finish(false, `exited with ${code}: ${lastLines(stderr)}`));
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      for (let at = buffer.indexOf('\n'); at >= 0; at = buffer.indexOf('\n')) {
        const message = JSON.parse(buffer.slice(0, at));
        buffer = buffer.slice(at + 1);
        pending.get(message.id)?.(message);
      }
    });
    const request = (id, method, params) =>
      new Promise((answer) => {
        pending.set(id, answer);
        child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
      });
    (async () => {
      const init = await request(1, 'initialize', {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'agentvault-smoke', version: '0' },
      });
      if (!init.result?.serverInfo) return finish(false, `initialize: ${JSON.stringify(init).slice(0, 200)}`);
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
      const list = await request(2, 'tools/list', {});
      const tools = (list.result?.tools ?? []).map((tool) => tool.name);
      if (!tools.includes('get_secret')) return finish(false, `tools/list: ${tools.join(', ')}`);
      const call = await request(3, 'tools/call', { name: 'get_secret', arguments: { path: secretPath } });
      const text = JSON.stringify(call.result?.content ?? call);
      finish(text.includes(secretValue), `tools: ${tools.join(', ')}; get_secret ${call.result?.isError ? 'error' : 'answered'}`);
    })().catch((error) => finish(false, String(error)));
  });
}

// ---------------------------------------------------------------------------------------------
// 7. Report.

const columns = [...packages.map((p) => p.name), ...([...results.values()].some((cells) => cells.has('other')) ? ['other'] : [])];
const rows = [...results.keys()];
const width = Math.max(...rows.map((row) => row.length));
const header = ['app / check'.padEnd(width), ...columns.map(short)];
const line = (cells) => `| ${cells.join(' | ')} |`;
console.log(`\n${line(header)}\n${line(header.map((cell) => '-'.repeat(cell.length)))}`);
for (const row of rows) {
  const cells = results.get(row);
  console.log(line([row.padEnd(width), ...columns.map((col) => {
    const value = cells.get(col);
    return (value === undefined ? '·' : value ? 'ok' : 'FAIL').padEnd(short(col).length);
  })]));
}

console.log('\n| package | tarball | unpacked | files |\n| --- | ---: | ---: | ---: |');
for (const { name } of packages) {
  const info = packInfo.get(name);
  console.log(`| ${name} | ${(info.size / 1024).toFixed(1)} kB | ${(info.unpackedSize / 1024).toFixed(1)} kB | ${info.entryCount} |`);
}
const clientTree = installed.get(clientApp) ? readdirSync(join(clientApp, 'node_modules')).filter((entry) => !entry.startsWith('.')).join(', ') : '';
console.log(`\nclient installed alone from its tarball: du -sb node_modules = ${clientBytes} bytes (${(clientBytes / 1024 / 1024).toFixed(2)} MiB): ${clientTree}`);
if (process.argv.includes('--verbose')) console.log(`\n${lintOutput.join('\n')}`);
else console.log(`\n${lintOutput.filter((entry) => entry.startsWith('publint')).join('\n')}`);

const failed = [...results.values()].some((cells) => [...cells.values()].some((ok) => !ok));
if (notes.length > 0) console.log(`\nFailures:\n${notes.map((note) => `- ${note}`).join('\n')}`);
console.log(`\nsmoke: ${failed ? 'FAILED' : 'all ok'} in ${((Date.now() - started) / 1000).toFixed(0)} s${KEEP ? `; apps kept in ${work}` : ''}`);
if (!KEEP) rmSync(work, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
