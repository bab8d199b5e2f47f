/**
 * Fills a schema with the code of the release before storage v2 (commit d132539), run from a
 * `git archive` of that commit (see ../upgrade.test.ts): migrations 1–2, then a vault writing
 * secrets, versions, trash, agent keys, tokens (a tree, a spent and a revoked one), approvals in
 * every state, a lease and an expiry warning, over 4 audit chains per tenant. Prints what it made
 * (values included: the test reads them back through a v2 vault).
 */
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import process from 'node:process';
import { auditDigest, createVault } from '@agentvault/core';
import { testKeyWrapper } from '@agentvault/core/testing';
import { postgresAdapter } from '@agentvault/adapter-postgres';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.AGENTVAULT_TEST_PG_URL, max: 4 });
const storage = postgresAdapter({ pool }, { schema: process.env.LEGACY_SCHEMA });
await storage.migrate();
const keys = testKeyWrapper({ keys: { 'legacy-key': Buffer.from(process.env.LEGACY_KEY_HEX, 'hex') } });
const made = { secrets: [], tokens: {}, approvals: {}, agentKeys: {} };
const user = (tenant, id) => ({ principal: { kind: 'user', id, tenant, roles: ['admin', 'approver'] } });

for (const tenant of ['acme', 'globex']) {
  const vault = createVault({ storage, keys, defaultTenant: tenant, auditChains: 4, logger: { warn() {}, error() {} } });
  const set = async (path, value, options) => {
    await vault.setSecret(path, value, options);
    made.secrets.push({ tenant, path, value });
  };
  await set('prod/db/url', `postgres://${tenant}-1`, { tags: { team: 'core' }, description: 'db' });
  await set('team/payroll', `payroll-${tenant}`, { tier: 'sensitive' });
  await set('prod/db/url', `postgres://${tenant}-2`);
  await set('prod/api/key', `key-${tenant}`, { expiresInDays: 3 });
  await set('crit/signing', `sign-${tenant}`, { tier: 'critical' });
  await set('old/thing', 'trash me');
  await vault.deleteSecret('old/thing');

  const admin = await vault.createAgentKey({ description: 'ci', roles: ['admin'] }, user(tenant, 'root'));
  const gone = await vault.createAgentKey({ description: 'old ci', roles: ['admin'] }, user(tenant, 'root'));
  await vault.revokeAgentKey(gone.id, user(tenant, 'root'));
  made.agentKeys[tenant] = { admin: admin.id, revoked: gone.id, adminValue: admin.value };
  const asKey = { principal: await vault.authenticate(admin.value) };

  const root = await vault.requestToken({ scope: 'secrets:read:prod/*', maxUses: 10, ttlSeconds: 3600 }, asKey);
  await vault.getSecret('prod/db/url', { token: root.value });
  const child = await vault.requestToken({ scope: 'secrets:read:prod/db/*', maxUses: 4, ttlSeconds: 600 }, { token: root.value });
  await vault.getSecret('prod/db/url', { token: child.value });
  const grandchild = await vault.requestToken({ scope: 'secrets:read:prod/db/url', maxUses: 1, ttlSeconds: 300 }, { token: child.value });
  const revoked = await vault.requestToken({ scope: 'secrets:read:prod/*' }, asKey);
  await vault.revokeToken(revoked.id, user(tenant, 'root'));
  made.tokens[tenant] = { root: root.id, rootValue: root.value, child: child.id, grandchild: grandchild.id, revoked: revoked.id };

  const requester = { token: root.value };
  const approved = await vault.requestToken({ scope: 'secrets:read:crit/*', maxUses: 1 }, asKey);
  await vault.approve(approved.approvalRequestId, { comment: 'ok' }, user(tenant, 'alice'));
  const claimed = await vault.getApproval(approved.approvalRequestId, asKey);
  // Created after the root token was issued, so a request for it by that token waits for a human.
  await set('prod/hsm', `hsm-${tenant}`, { tier: 'critical' });
  const pending = await vault.requestToken({ scope: 'secrets:read:prod/hsm', maxUses: 1 }, requester);
  const denied = await vault.requestToken({ scope: 'secrets:read:crit/*', maxUses: 1 }, asKey);
  await vault.deny(denied.approvalRequestId, { reason: 'no' }, user(tenant, 'bob'));
  made.approvals[tenant] = {
    approved: approved.approvalRequestId,
    approvedToken: claimed.token.id,
    pending: pending.approvalRequestId,
    denied: denied.approvalRequestId,
  };
}

await storage.acquireLease({ name: 'maintenance', owner: 'instance-1', now: Date.now(), ttlMs: 3_600_000 });
const expiresAt = Date.now() + 3 * 86_400_000;
const draft = {
  id: `evt_${randomUUID()}`, tenant: 'acme', chain: 2, type: 'secret.expiring', path: 'prod/api/key',
  actor: 'app:maintenance', actorDescription: null, ip: null, userAgent: null, timestamp: Date.now(), details: { kind: '7d' },
};
await storage.claimExpiryWarning({
  tenant: 'acme', path: 'prod/api/key', expiresAt, kind: '7d',
  event: { ...draft, digest: auditDigest(draft), success: true, error: null, version: null },
});
made.expiryWarning = { tenant: 'acme', path: 'prod/api/key', expiresAt, kind: '7d' };
await pool.end();
process.stdout.write(JSON.stringify(made));
