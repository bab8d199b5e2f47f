#!/usr/bin/env node
/* global process, console, URL -- a Node.js script */
// The `agentvault-mcp` command (an MCP server on stdio). Runs the build (dist/main.js) when there
// is one. In a clone without a build it runs the TypeScript source through the repository's tsx
// with the @agentvault/source condition, as `npm start` runs the examples; AGENTVAULT_RUN_SOURCE=1
// picks the source even when a build exists (tests and development, so a stale dist never hides a
// change). stdio is inherited, so the MCP client talks to the child directly.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/main.js', import.meta.url);
const source = new URL('../src/main.ts', import.meta.url);

if (existsSync(dist) && process.env.AGENTVAULT_RUN_SOURCE !== '1') {
  await import(dist.href);
} else {
  let tsx;
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    tsx = null;
  }
  if (!tsx || !existsSync(source)) {
    console.error('agentvault-mcp: no build found (dist/main.js) and no tsx to run the source; run npm run build');
    process.exit(1);
  }
  const child = spawn(
    process.execPath,
    ['--conditions=@agentvault/source', '--import', tsx, fileURLToPath(source), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  // Ctrl-C reaches the child from the terminal itself; passing it on too would count as a second one.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else {
      process.exit(code ?? 1);
    }
  });
}
