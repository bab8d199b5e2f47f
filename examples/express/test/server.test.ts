/** The `npm start` server: configuration from the environment, driven over HTTP with the client. */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { AgentVault, AgentVaultAuthError } from '@agentvault/client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type ServerOptions, startServer } from '../src/server';

const KEK = Buffer.alloc(32, 7).toString('base64');
const ROOT = `ass_live_${'r'.repeat(43)}`;
const APPROVER = `ass_live_${'a'.repeat(43)}`;

async function started(env: Record<string, string>, more: Partial<ServerOptions> = {}) {
  const lines: string[] = [];
  const server = await startServer({ env: { PORT: '0', ...env }, log: (line) => lines.push(line), ...more });
  onTestFinished(() => server.close());
  return { server, lines };
}

const printedKey = (lines: string[], label: string) =>
  lines.find((line) => line.startsWith(label))?.split(': ')[1] ?? '';

describe('examples/express', () => {
  it('creates and prints the root and approver keys once, and warns about the dev key', async () => {
    const { server, lines } = await started({});
    expect(lines.some((line) => line.includes('WARNING: no AGENTVAULT_LOCAL_KEK'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^AgentVault listening on http:\/\/127\.0\.0\.1:\d+\/v1 \(storage: memory/);
    const root = new AgentVault({ agentKey: printedKey(lines, 'Root agent key'), baseUrl: server.url });
    const approver = new AgentVault({
      agentKey: printedKey(lines, 'Approver agent key'),
      baseUrl: server.url,
    });
    await root.setSecret('production/postgres/main', 'postgresql://db', { tier: 'critical' });
    const pending = await root.requestToken({ scope: 'secrets:read:production/postgres/*' });
    // approve_url opens the console mounted next to the API (it asks a human to sign in first).
    const origin = new URL(server.url).origin;
    expect(lines).toContain(`Approvals console: ${origin}/console (sign in with the approver or admin key)`);
    expect(pending.approveUrl).toBe(`${origin}/console/approvals/${pending.approvalRequestId!}`);
    const page = await fetch(pending.approveUrl!, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toMatch(/^\/console\/sign-in\?next=/);
    const waiting = root.waitForApproval(pending.approvalRequestId!, { pollIntervalMs: 20, timeoutMs: 5000 });
    await approver.approve(pending.approvalRequestId!, { comment: 'ok' });
    const token = await waiting;
    expect((await root.getSecret('production/postgres/main', { token: token.value! })).value).toBe(
      'postgresql://db',
    );
  });

  it('takes the keys from AGENTVAULT_ROOT_KEY and AGENTVAULT_APPROVER_KEY and prints none', async () => {
    const { server, lines } = await started({
      AGENTVAULT_LOCAL_KEK: KEK,
      AGENTVAULT_ROOT_KEY: ROOT,
      AGENTVAULT_APPROVER_KEY: APPROVER,
    });
    expect(lines.join('\n')).not.toMatch(/ass_live_|WARNING/);
    const root = new AgentVault({ agentKey: ROOT, baseUrl: server.url });
    await root.setSecret('team/a', 'v');
    expect((await root.getSecret('team/a')).value).toBe('v');
    const { events } = await root.queryAudit({ type: 'secret.read' });
    const [rootKey] = await server.vault.listAgentKeys();
    expect(rootKey?.description).toBe('AGENTVAULT_ROOT_KEY');
    expect(events[0]?.actor).toBe(`key:${rootKey?.id}`);
    const approver = new AgentVault({ agentKey: APPROVER, baseUrl: server.url });
    await expect(approver.getSecret('team/a')).rejects.toThrow(/admin role/);
    const stranger = new AgentVault({
      agentKey: `ass_live_${'x'.repeat(43)}`,
      baseUrl: server.url,
      retries: 0,
    });
    await expect(stranger.getSecret('team/a')).rejects.toBeInstanceOf(AgentVaultAuthError);
  });

  it('refuses a malformed key, and names the adapter package a storage URL needs', async () => {
    await expect(
      startServer({ env: { PORT: '0', AGENTVAULT_ROOT_KEY: 'secret' }, log() {} }),
    ).rejects.toThrow(/AGENTVAULT_ROOT_KEY must look like ass_live_/);
    const missing = Object.assign(new Error('Cannot find package \'@agentvault/adapter-postgres\''), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await expect(
      startServer({
        env: { PORT: '0', AGENTVAULT_STORAGE: 'postgres://u:pw@127.0.0.1/db' },
        log() {},
        loader: async () => {
          throw missing;
        },
      }),
    ).rejects.toThrow('AGENTVAULT_STORAGE needs @agentvault/adapter-postgres, which is not installed');
    let asked: unknown;
    const { server, lines } = await started(
      { AGENTVAULT_STORAGE: 'redis://:pw@127.0.0.1:6379' },
      {
        loader: async (name) => {
          const { memoryAdapter } = await import('@agentvault/adapter-memory');
          return {
            redisAdapter: (...args: unknown[]) => {
              asked = { name, args };
              return memoryAdapter();
            },
          };
        },
      },
    );
    expect(asked).toEqual({ name: '@agentvault/adapter-redis', args: [{ url: 'redis://:pw@127.0.0.1:6379' }, {}] });
    expect(lines.at(-1)).toContain('(storage: redis://:***@127.0.0.1:6379)');
    expect(server.url).toMatch(/\/v1$/);
    await expect(
      startServer({ env: { PORT: '0', AGENTVAULT_STORAGE: 'mysql://x' }, log() {} }),
    ).rejects.toThrow(/must be memory/);
  });

  it('runs as `npm start` does: listens, serves, and stops on SIGTERM', async () => {
    const tsx = createRequire(import.meta.url).resolve('tsx/cli');
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    const child = spawn(process.execPath, [tsx, '--conditions=@agentvault/source', main], {
      env: { ...process.env, PORT: '0', AGENTVAULT_LOCAL_KEK: KEK, AGENTVAULT_ROOT_KEY: ROOT },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (\S+)/.exec(output);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
    });
    const root = new AgentVault({ agentKey: ROOT, baseUrl: url });
    await root.setSecret('production/openai/api-key', 'sk-1');
    expect((await root.getSecret('production/openai/api-key')).value).toBe('sk-1');
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { openapi: string };
    expect(doc.openapi).toBe('3.1.0');
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toMatch(/Approver agent key, shown once: ass_live_/);
    expect(output).not.toContain(ROOT);
  });
});
