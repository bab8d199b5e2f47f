/**
 * The red-team probes: each `bench/redteam/<name>.probe.ts` exports `probe`, an attack from the
 * outside review (issue 19) replayed against a real vault on loopback, with the figures it yields
 * and the target each must meet. `npm run redteam` runs them all; `npm run redteam -- flood` one.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Figure {
  name: string;
  value: number | string;
  /** What the value must be, in words (`≥ 49,000`); absent for figures given for orientation. */
  target?: string;
  /** Whether the value meets the target; absent when there is none. */
  ok?: boolean;
}

export interface Probe {
  /** Short name, the file's stem. */
  name: string;
  /** The review finding it replays. */
  finding: string;
  run(): Promise<Figure[]>;
}

export const fmt = (n: number) => n.toLocaleString('en-US');
export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

export function printFigures(probe: Probe, figures: Figure[]): void {
  const rows = figures.map((f) => [
    f.name,
    typeof f.value === 'number' ? fmt(f.value) : f.value,
    f.target ?? '',
    f.ok === undefined ? '' : f.ok ? 'ok' : 'MISS',
  ]);
  const head = ['figure', 'value', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n${probe.name}: ${probe.finding}`);
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

/** What the vault server child reports about itself. */
export interface ServerStats {
  /** Resident set size and V8 heap in use, after a full garbage collection. */
  rss: number;
  heapUsed: number;
  /** Audit events storage appended since the server started. */
  auditAppends: number;
  /** Those events, by type. */
  auditByType: Record<string, number>;
  /** The sum of the `count` detail of aggregate events (`auth.failed`, `request.refused`). */
  aggregatedRefusals: number;
}

export interface VaultServer {
  /** `http://127.0.0.1:PORT/v1` */
  url: string;
  /** An admin agent key of the server's vault. */
  adminKey: string;
  stats(): Promise<ServerStats>;
  close(): Promise<void>;
}

export interface VaultServerOptions {
  /** Aggregation window of the refusal audit, in seconds. */
  refusalWindowSeconds?: number;
}

/**
 * Start the vault's HTTP API (the fetch handler on node:http, memory storage, local keys) in a
 * child process, so its memory is measured apart from the load generator's.
 */
export async function startVaultServer(options: VaultServerOptions = {}): Promise<VaultServer> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./vault-server.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx', '--conditions=@agentvault/source', '--expose-gc'],
    env: { ...process.env, REDTEAM_REFUSAL_WINDOW_SECONDS: String(options.refusalWindowSeconds ?? 60) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const waiting = new Map<number, (value: unknown) => void>();
  const ready = new Promise<{ url: string; adminKey: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`vault server exited with ${code}`)));
    child.on('message', (message: { type: string; id?: number; value?: unknown; url?: string; adminKey?: string }) => {
      if (message.type === 'ready') resolve({ url: message.url!, adminKey: message.adminKey! });
      else if (message.type === 'reply') waiting.get(message.id!)?.(message.value);
    });
  });
  const { url, adminKey } = await ready;
  const ask = <T>(type: string) =>
    new Promise<T>((resolve) => {
      const id = nextId++;
      waiting.set(id, (value) => {
        waiting.delete(id);
        resolve(value as T);
      });
      child.send({ type, id });
    });
  return {
    url,
    adminKey,
    stats: () => ask<ServerStats>('stats'),
    close: async () => {
      child.removeAllListeners('exit');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
