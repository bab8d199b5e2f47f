/**
 * The real `agentvault-server` process: configuration errors, a restart that keeps everything and
 * reuses the generated key, a SIGTERM under load that fails no accepted request, and logs that
 * never carry a value or a credential.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { dropSchema, probePostgres, testPool, testUrl, uniqueSchema } from '@agentvault/adapter-postgres/testing';
import { describeRequiring } from '@agentvault/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEK_FILE, SQLITE_FILE } from '../src/backends';
import { INITIAL_KEYS_FILE } from '../src/bootstrap';
import { agentKey, failedStart, runServer, tempDir } from './support';

describe('configuration', () => {
  it.each([
    [{ PORT: '70000' }, /^agentvault-server: PORT /],
    [{ AGENTVAULT_STORAGE: 'mysql://x' }, /^agentvault-server: AGENTVAULT_STORAGE must be sqlite, memory, postgres:\/\/… or redis:\/\/…$/],
    [{ AGENTVAULT_WEBHOOK_URL: 'https://hooks.example/x' }, /^agentvault-server: AGENTVAULT_WEBHOOK_SECRET is required/],
    [{ AGENTVAULT_ROOT_KEY: 'not-a-key' }, /^agentvault-server: AGENTVAULT_ROOT_KEY must look like ass_live_/],
    [{ AGENTVAULT_RATE_LIMIT: 'lots' }, /^agentvault-server: AGENTVAULT_RATE_LIMIT must be a positive integer/],
  ])('a bad value stops the start with one line: %o', async (env, line) => {
    const { code, output } = await failedStart({ AGENTVAULT_STORAGE: 'memory', ...env });
    expect(code).toBe(2);
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  });

  it('a key the environment names must not be echoed back in the error', async () => {
    const secretish = 'ass_live_short';
    const { output } = await failedStart({ AGENTVAULT_STORAGE: 'memory', AGENTVAULT_ROOT_KEY: secretish });
    expect(output).not.toContain(secretish);
  });
});

describe('on SQLite, the default storage', () => {
  it('keeps secrets, keys and the audit trail across a restart, in 0600 files of the data directory', async () => {
    const dataDir = await tempDir('sqlite');
    const rootKey = agentKey();
    const env = { AGENTVAULT_DATA_DIR: dataDir.path, AGENTVAULT_ROOT_KEY: rootKey };
    const auth = { 'authorization': `Bearer ${rootKey}`, 'content-type': 'application/json' };
    try {
      const first = await runServer(env);
      expect(first.logs.find((entry) => entry.msg === 'AgentVault listening')?.storage).toMatch(/^sqlite/);
      const created = await fetch(`${first.url}/secrets`, { method: 'POST', headers: auth, body: JSON.stringify({ path: 'app/key', value: 'sqlite-value-1' }) });
      expect(created.status).toBe(201);
      expect(await first.stop()).toBe(0);
      for (const file of [SQLITE_FILE, KEK_FILE]) expect((await stat(join(dataDir.path, file))).mode & 0o777).toBe(0o600);

      const second = await runServer(env);
      const read = await fetch(`${second.url}/secrets/${encodeURIComponent('app/key')}`, { headers: auth });
      expect(((await read.json()) as { value: string }).value).toBe('sqlite-value-1');
      const audit = (await (await fetch(`${second.url}/audit?limit=100`, { headers: auth })).json()) as { events: Array<{ type: string }> };
      expect(audit.events.map((event) => event.type)).toEqual(expect.arrayContaining(['secret.create', 'secret.read']));
      expect(await second.stop()).toBe(0);
      expect(second.output()).not.toContain('sqlite-value-1');
    } finally {
      await dataDir.remove();
    }
  });
});

const pgProblem = await probePostgres();

describeRequiring(pgProblem, 'on PostgreSQL', () => {
  const schema = uniqueSchema('server');
  const pool = testPool();
  let dataDir: Awaited<ReturnType<typeof tempDir>>;
  const rootKey = agentKey();

  beforeAll(async () => {
    dataDir = await tempDir('server');
  });
  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
    await dataDir.remove();
  });

  const env = () => ({
    AGENTVAULT_STORAGE: testUrl(),
    AGENTVAULT_PG_SCHEMA: schema,
    AGENTVAULT_DATA_DIR: dataDir.path,
    AGENTVAULT_ROOT_KEY: rootKey,
    AGENTVAULT_RATE_LIMIT: 'off',
  });

  it('stores, drains accepted requests on SIGTERM mid-load, restarts with the generated key and reads back', async () => {
    const value = `sk-live-${'v'.repeat(24)}`;
    const first = await runServer(env());
    const kek = await stat(join(dataDir.path, KEK_FILE));
    expect(kek.mode & 0o777).toBe(0o600);
    expect(first.logs.some((entry) => String(entry.msg).includes('generated a local key-encryption key'))).toBe(true);
    const auth = { 'authorization': `Bearer ${rootKey}`, 'content-type': 'application/json' };
    const created = await fetch(`${first.url}/secrets`, { method: 'POST', headers: auth, body: JSON.stringify({ path: 'prod/db/password', value }) });
    expect(created.status).toBe(201);

    // Load: 8 loops reading the secret until the server stops taking connections.
    const answered = new Map<string, number>();
    let sent = 0;
    let signalled = false;
    const loop = async (n: number) => {
      for (let i = 0; ; i++) {
        const id = `load-${n}-${i}`;
        sent++;
        try {
          const response = await fetch(`${first.url}/secrets/${encodeURIComponent('prod/db/password')}`, { headers: { ...auth, 'x-request-id': id } });
          const body = (await response.json()) as { value?: string };
          answered.set(id, response.status === 200 && body.value === value ? 200 : response.status);
        } catch {
          // Refused or reset before the server read it: not an accepted request.
          if (signalled) return;
        }
      }
    };
    const loops = Array.from({ length: 8 }, (_, n) => loop(n));
    // Mid-load: once the server has answered a good number of them.
    while (answered.size < 60) await new Promise((resolve) => setTimeout(resolve, 20));
    signalled = true;
    const code = await first.stop('SIGTERM');
    await Promise.all(loops);
    expect(code).toBe(0);
    const accepted = first.logs.filter((entry) => entry.msg === 'request' && String(entry.reqId).startsWith('load-'));
    expect(accepted.length).toBeGreaterThanOrEqual(60);
    const failed = accepted.filter(
      (entry) => entry.status !== 200 || entry.completed !== true || answered.get(String(entry.reqId)) !== 200,
    );
    expect(failed).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(accepted.length);
    expect(first.logs.at(-1)?.msg).toBe('stopped');

    const second = await runServer(env());
    expect(second.logs.some((entry) => String(entry.msg).includes('generated a local key-encryption key'))).toBe(false);
    const read = await fetch(`${second.url}/secrets/${encodeURIComponent('prod/db/password')}`, { headers: auth });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { value: string }).value).toBe(value);
    await second.stop();

    for (const server of [first, second]) {
      expect(server.output()).not.toContain(value);
      expect(server.output()).not.toContain(rootKey);
    }
  });

  it('mints the first keys once, into a 0600 file and never the log; a restart mints no more', async () => {
    const { AGENTVAULT_ROOT_KEY: _root, ...noKeys } = env();
    const fresh = { ...noKeys, AGENTVAULT_PG_SCHEMA: `${schema}_keys` };
    try {
      const first = await runServer(fresh);
      await first.stop();
      const file = join(dataDir.path, INITIAL_KEYS_FILE);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const { readFile } = await import('node:fs/promises');
      const keys = [...(await readFile(file, 'utf8')).matchAll(/ass_live_[A-Za-z0-9_-]+/g)].map((m) => m[0]);
      expect(keys).toHaveLength(2);
      for (const key of keys) expect(first.output()).not.toContain(key);
      const second = await runServer(fresh);
      await second.stop();
      expect(second.logs.filter((entry) => String(entry.msg).includes('was created at an earlier start'))).toHaveLength(2);
      const listed = await pool.query(`SELECT count(*)::int AS n FROM "${schema}_keys".agent_keys`).catch(() => null);
      if (listed) expect(listed.rows[0].n).toBe(2);
    } finally {
      await dropSchema(pool, `${schema}_keys`);
    }
  });
});
