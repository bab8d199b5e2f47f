/**
 * AgentVault inside a process: an orchestrator stores secrets, hands an agent a narrow token,
 * a human approves access to a critical secret, and the audit trail shows all of it.
 */
import { memoryAdapter } from '@agentvault/adapter-memory';
import { AgentVaultPermissionError, createVault, type Principal } from '@agentvault/core';
import { localKeyring } from '@agentvault/kms-local';

export async function walkthrough(log: (line: string) => void): Promise<void> {
  const vault = createVault({
    storage: memoryAdapter(),
    keys: localKeyring({ generateDevKey: true, warn: (message) => log(message) }),
    defaultActor: 'orchestrator',
  });

  log('1. Store secrets, each encrypted under its own data key');
  await vault.setSecret('production/openai/api-key', 'sk-proj-demo-1', {
    tier: 'standard',
    type: 'api_key',
    tags: { team: 'ml' },
  });
  await vault.setSecret('production/postgres/main', 'postgresql://app:demo@db:5432/app', {
    tier: 'critical',
    type: 'db_credential',
  });
  const imported = await vault.importEnv('STRIPE_KEY=sk_test_demo\nSLACK_TOKEN="xoxb-demo"\n', {
    namespace: 'production',
    tierByPrefix: { STRIPE_: 'sensitive' },
  });
  log(`   imported from .env: ${imported.created.map((s) => `${s.path} (${s.tier})`).join(', ')}`);
  const listing = await vault.listSecrets('production');
  log(`   production holds ${listing.total} secrets: ${listing.items.map((s) => s.path).join(', ')}`);

  log('2. Rotate with a grace period: the old version stays readable by number for 5 minutes');
  const rotated = await vault.rotateSecret('production/openai/api-key', 'sk-proj-demo-2', {
    gracePeriodSeconds: 300,
  });
  log(
    `   v${rotated.oldVersion} -> v${rotated.newVersion}; v${rotated.oldVersion} readable until ${rotated.expiresAt.toISOString()}`,
  );

  log('3. Give an agent a scoped, short-lived token instead of a master key');
  const token = await vault.requestToken({
    scope: 'secrets:read:production/openai/*',
    ttlSeconds: 600,
    description: 'inference agent',
  });
  log(
    `   token ${token.id} (${token.approvalStatus}) scope "${token.scope}", expires ${token.expiresAt?.toISOString()}`,
  );
  const read = await vault.getSecret('production/openai/api-key', { token: token.value!, ip: '10.0.1.50' });
  log(`   agent read production/openai/api-key v${read.version} (${read.value.length} characters)`);
  try {
    await vault.getSecret('production/STRIPE_KEY', { token: token.value! });
  } catch (error) {
    if (!(error instanceof AgentVaultPermissionError)) throw error;
    log(`   agent refused production/STRIPE_KEY: ${error.code}, needs ${error.requiredScope}`);
  }

  log('4. Critical secrets need a human: the request waits for an approver');
  const pending = await vault.requestToken({
    scope: 'secrets:read:production/postgres/*',
    ttlSeconds: 900,
    description: 'nightly migration',
  });
  log(`   request ${pending.approvalRequestId} is ${pending.approvalStatus}`);
  const stopListening = vault.on('approval.decided', (event) =>
    log(`   event approval.decided: ${event.status} by ${event.decidedBy}`),
  );
  const alice: Principal = { kind: 'user', id: 'alice', tenant: 'default', roles: ['approver'] };
  const waiting = vault.waitForApproval(pending.approvalRequestId!, { timeoutMs: 5000, pollIntervalMs: 50 });
  await vault.approve(
    pending.approvalRequestId!,
    { comment: 'migration window 02:00' },
    { principal: alice },
  );
  const granted = await waiting;
  stopListening();
  const db = await vault.getSecret('production/postgres/main', { token: granted.value! });
  log(`   approved token ${granted.id} (tier ${granted.approvedTier}) read ${db.path}`);

  log('5. Rotation on a schedule: a handler makes the new value, tests it, and only then is it promoted');
  // A stand-in for a provider's API: a real handler would create a key at the provider, check it
  // works, and revoke the old one once its grace period is over.
  const provider = { issued: 0, revoked: [] as number[] };
  vault.registerRotationHandler('production/SLACK_TOKEN', {
    create: async () => `xoxb-generated-${++provider.issued}`,
    test: async ({ pendingValue }) => {
      if (!pendingValue.startsWith('xoxb-')) throw new Error('the provider refused the new token');
    },
    revokeOld: async ({ oldVersion }) => void provider.revoked.push(oldVersion),
  });
  await vault.updateSecret('production/SLACK_TOKEN', { rotation: { everySeconds: 30 * 86_400, gracePeriodSeconds: 3600 } });
  vault.on('rotation.completed', (event) => log(`   event rotation.completed: ${event.path} v${event.oldVersion} -> v${event.newVersion}`));
  const report = await vault.runMaintenance(new Date(Date.now() + 31 * 86_400_000)); // a month later
  log(`   maintenance a month later: ${report.rotations.rotated} rotated, ${report.rotations.failed} failed; provider revoked v${provider.revoked.join(', v')}`);
  const slack = await vault.listVersions('production/SLACK_TOKEN');
  log(`   production/SLACK_TOKEN versions: ${slack.map((v) => `v${v.version}${v.isActive ? ' (current)' : ''}`).join(', ')}`);

  log('6. Every read, write and refusal is in the audit trail, sealed in checkpoints under a key storage never sees');
  const { events } = await vault.queryAudit({ limit: 8 });
  for (const event of events.reverse()) {
    log(
      `   ${event.type.padEnd(16)} ${(event.path ?? '-').padEnd(28)} ${event.actor.padEnd(34)} ${event.success ? 'ok' : event.error}`,
    );
  }
  await vault.sealAudit();
  const verification = await vault.verifyAudit();
  log(
    `   verifyAudit: ${verification.ok ? 'intact' : 'BROKEN'} (${verification.checked} events under ${verification.checkpoints} checkpoint(s), ${verification.unsealed.count} unsealed)`,
  );
}
