/**
 * The server on the real PostgreSQL and Redis of this machine: what it stores outlives a restart,
 * and the root key from the environment is the same agent key after it.
 */
import { randomBytes } from 'node:crypto';
import { probePostgres } from '@agentvault/adapter-postgres/testing';
import { deleteKeysUnder } from '@agentvault/adapter-redis';
import { AgentVault } from '@agentvault/client';
import { describeRequiring } from '@agentvault/core/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { expect, it } from 'vitest';
import { startServer } from '../src/server';

const PG_URL = process.env.AGENTVAULT_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.AGENTVAULT_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const KEK = randomBytes(32).toString('base64');
const ROOT = `ass_live_${randomBytes(32).toString('base64url')}`;

async function restartKeepsEverything(env: Record<string, string>): Promise<void> {
  const base = { PORT: '0', AGENTVAULT_LOCAL_KEK: KEK, AGENTVAULT_ROOT_KEY: ROOT, AGENTVAULT_APPROVER_KEY: `ass_live_${randomBytes(32).toString('base64url')}`, ...env };
  const first = await startServer({ env: base, log() {} });
  const keysBefore = await first.vault.listAgentKeys();
  await new AgentVault({ agentKey: ROOT, baseUrl: first.url }).setSecret('backend/key', 'survives a restart');
  await first.close();
  const second = await startServer({ env: base, log() {} });
  try {
    const client = new AgentVault({ agentKey: ROOT, baseUrl: second.url });
    expect((await client.getSecret('backend/key')).value).toBe('survives a restart');
    expect((await second.vault.listAgentKeys()).map((k) => k.id)).toEqual(keysBefore.map((k) => k.id));
  } finally {
    await second.close();
  }
}

async function probeRedis(): Promise<string | null> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 0, lazyConnect: true, connectTimeout: 3000 });
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return `Redis is unreachable at ${REDIS_URL} (${error instanceof Error ? error.message : String(error)}); set AGENTVAULT_TEST_REDIS_URL`;
  } finally {
    client.disconnect();
  }
}

const [pgProblem, redisProblem] = await Promise.all([probePostgres(), probeRedis()]);

describeRequiring(pgProblem, 'the server on PostgreSQL', () => {
  it('keeps secrets and its root key across a restart on PostgreSQL', async () => {
    const schema = `agentvault_test_example_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
    try {
      await restartKeepsEverything({ AGENTVAULT_STORAGE: PG_URL, AGENTVAULT_PG_SCHEMA: schema });
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });

  it('mints its keys once on PostgreSQL: a restart without key variables reuses them', async () => {
    const schema = `agentvault_test_example_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
    const env = { PORT: '0', AGENTVAULT_LOCAL_KEK: KEK, AGENTVAULT_STORAGE: PG_URL, AGENTVAULT_PG_SCHEMA: schema };
    try {
      const firstLog: string[] = [];
      const first = await startServer({ env, log: (line) => void firstLog.push(line) });
      const keys = (await first.vault.listAgentKeys()).map((k) => k.id);
      await first.close();
      expect(keys).toHaveLength(2);
      expect(firstLog.filter((line) => line.includes('shown once'))).toHaveLength(2);
      const secondLog: string[] = [];
      const second = await startServer({ env, log: (line) => void secondLog.push(line) });
      try {
        expect((await second.vault.listAgentKeys()).map((k) => k.id)).toEqual(keys);
        expect(secondLog.some((line) => line.includes('shown once'))).toBe(false);
        expect(secondLog.filter((line) => line.includes('created at an earlier start'))).toHaveLength(2);
      } finally {
        await second.close();
      }
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });
});

describeRequiring(redisProblem, 'the server on Redis', () => {
  it('keeps secrets and its root key across a restart on Redis', async () => {
    const prefix = `agentvault-test-example-${randomBytes(5).toString('hex')}:`;
    try {
      await restartKeepsEverything({ AGENTVAULT_STORAGE: REDIS_URL, AGENTVAULT_REDIS_PREFIX: prefix });
    } finally {
      const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 0 });
      await deleteKeysUnder(client, prefix);
      client.disconnect();
    }
  });
});
