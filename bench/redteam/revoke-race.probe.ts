/**
 * Finding 2: a child claimed while its parent is being revoked stayed live on PostgreSQL (5 of 40
 * tries). Now the claim commits only against the parent's revision, so a revoke racing 50 claims of
 * approved children leaves none live. Runs on PostgreSQL when it answers, else on memory.
 */
import { memoryAdapter } from '@agentvault/adapter-memory';
import { postgresAdapter } from '@agentvault/adapter-postgres';
import { dropSchema, probePostgres, testPool, uniqueSchema } from '@agentvault/adapter-postgres/testing';
import { createVault, type StorageAdapter } from '@agentvault/core';
import { testKeyWrapper } from '@agentvault/core/testing';
import type { Figure, Probe } from './lib';

const CLAIMS = 50;

export const probe: Probe = {
  name: 'revoke-race',
  finding: `a parent token revoked while ${CLAIMS} of its approved children are claimed`,
  async run() {
    const onPostgres = (await probePostgres()) === null;
    const pool = onPostgres ? testPool() : null;
    const schema = uniqueSchema('redteam');
    let storage: StorageAdapter = memoryAdapter();
    if (pool) {
      const pg = postgresAdapter({ pool }, { schema });
      await pg.migrate();
      storage = pg;
    }
    const vault = createVault({ storage, keys: testKeyWrapper(), logger: { warn() {}, error() {} } });
    try {
      // The parent is issued while the namespace is standard; its children then reach a critical
      // secret above its tier, so each waits for a human.
      const parent = await vault.requestToken({ scope: 'secrets:read:production/*', ttlSeconds: 3600 });
      await vault.setSecret('production/db/password', 'value', { tier: 'critical' });
      const approver = await vault.createAgentKey({ roles: ['approver'] });
      const requests = [];
      for (let i = 0; i < CLAIMS; i++) {
        const pending = await vault.requestToken({ scope: 'secrets:read:production/*', maxUses: 1 }, { token: parent.value! });
        await vault.approve(pending.approvalRequestId!, { comment: 'ok' }, { token: approver.value });
        requests.push(pending.approvalRequestId!);
      }
      const claims = requests.map((id) =>
        vault.waitForApproval(id, { timeoutMs: 1000, token: parent.value! }).then((t) => t.value, () => null));
      // The revoke goes out as soon as the first claim lands, while the others are in flight.
      const revoked = Promise.race(claims).then(() => vault.revokeToken(parent.id!));
      const [minted] = await Promise.all([Promise.all(claims), revoked]);
      let alive = 0;
      for (const token of minted) {
        if (!token) continue;
        try {
          await vault.getSecret('production/db/password', { token });
          alive++;
        } catch {
          // revoked with its parent
        }
      }
      return [
        { name: 'storage', value: onPostgres ? 'postgres' : 'memory (PostgreSQL unreachable)' },
        { name: 'claims that got a token', value: minted.filter(Boolean).length },
        { name: 'children alive after the revoke', value: alive, target: '= 0', ok: alive === 0 },
      ] satisfies Figure[];
    } finally {
      await vault.close();
      if (pool) {
        await dropSchema(pool, schema);
        await pool.end();
      }
    }
  },
};
