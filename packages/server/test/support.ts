/** Start the real `agentvault-server` process from source, read its JSON log, stop it with a signal. */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TSX = createRequire(import.meta.url).resolve('tsx');

export function agentKey(): string {
  return `ass_live_${randomBytes(24).toString('base64url')}`;
}

export async function tempDir(label: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `agentvault-${label}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  origin: string;
  /** Every JSON log line so far. */
  logs: Array<Record<string, unknown>>;
  /** Everything the process wrote, as text (for leak scans). */
  output(): string;
  /** Send a signal and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export function runServer(env: Record<string, string>, args: { expectStart?: boolean } = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--conditions=@agentvault/source', '--import', TSX, MAIN], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', AGENTVAULT_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let text = '';
  let pending = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(new Error(`${why}\n${text}`));
    const timer = setTimeout(() => fail('server did not start within 30 s'), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'AgentVault listening') {
          clearTimeout(timer);
          const url = String(entry.url);
          resolve({
            child,
            url,
            origin: url.replace(/\/v1$/, ''),
            logs,
            output: () => text,
            exited,
            async stop(signal = 'SIGTERM') {
              child.kill(signal);
              return exited;
            },
          });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      if (args.expectStart !== false) fail(`server exited with ${code} before it listened`);
      else reject(Object.assign(new Error(text), { code }));
    });
  });
}

/** Run the server expecting it to refuse to start: its exit code and what it printed. */
export async function failedStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  try {
    const server = await runServer(env, { expectStart: false });
    await server.stop();
    throw new Error('the server started');
  } catch (error) {
    const { code, message } = error as { code?: number | null; message: string };
    if (code === undefined) throw error;
    return { code, output: message };
  }
}
