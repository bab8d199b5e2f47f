/**
 * An orchestrator and its agent against an AgentVault server, over HTTP with @agentvault/client:
 * the agent works with a narrow, short-lived token, is refused outside it, and gets database
 * access only after a human approves. Output names paths and lengths, never a value.
 */
import { AgentVault, AgentVaultPermissionError } from '@agentvault/client';

export interface AgentDemoOptions {
  baseUrl: string;
  /** The orchestrator's admin agent key. */
  adminKey: string;
  /** An approver's key: when given, the demo approves as that approver; otherwise it waits for a human. */
  approverKey?: string;
  /** How long to wait for the approval. Default 5 minutes. */
  approvalTimeoutMs?: number;
  log(line: string): void;
}

export async function runAgentDemo(options: AgentDemoOptions): Promise<void> {
  const { baseUrl, log } = options;
  const orchestrator = new AgentVault({ agentKey: options.adminKey, baseUrl });

  log('1. The orchestrator stores the secrets');
  await orchestrator.setSecret('production/openai/api-key', 'sk-proj-agent-demo', {
    tier: 'standard',
    type: 'api_key',
  });
  await orchestrator.setSecret('production/postgres/main', 'postgresql://app:agent-demo@db:5432/app', {
    tier: 'critical',
    type: 'db_credential',
  });

  log('2. It gives the agent a scoped token, not its own key');
  const token = await orchestrator.requestToken({
    scope: 'secrets:read:production/openai/*',
    ttlSeconds: 600,
    description: 'inference agent',
  });
  log(`   token ${token.id}: "${token.scope}", expires ${token.expiresAt?.toISOString()}`);
  const agent = new AgentVault({ agentKey: token.value!, baseUrl });
  const openai = await agent.getSecret('production/openai/api-key');
  log(`   agent read ${openai.path} v${openai.version} (${openai.value.length} characters)`);
  try {
    await agent.getSecret('production/postgres/main');
  } catch (error) {
    if (!(error instanceof AgentVaultPermissionError)) throw error;
    log(`   agent refused ${error.path}: ${error.code}, needs ${error.requiredScope}`);
  }

  log('3. The database is critical: the orchestrator asks, and waits for a human');
  const pending = await orchestrator.requestToken({
    scope: 'secrets:read:production/postgres/*',
    ttlSeconds: 900,
    description: 'nightly migration',
  });
  const id = pending.approvalRequestId!;
  log(`   request ${id} is ${pending.approvalStatus}; an approver decides at ${pending.approveUrl}`);
  const waiting = orchestrator.waitForApproval(id, {
    timeoutMs: options.approvalTimeoutMs ?? 300_000,
    pollIntervalMs: 250,
  });
  if (options.approverKey) {
    const approver = new AgentVault({ agentKey: options.approverKey, baseUrl });
    await approver.approve(id, { comment: 'migration window 02:00' });
    log('   an approver approved it');
  } else {
    log(`   approve it: curl -X POST ${baseUrl}/approvals/${id}/approve \\`);
    log(
      '     -H "Authorization: Bearer $AGENTVAULT_APPROVER_KEY" -H "Content-Type: application/json" -d \'{}\'',
    );
  }
  const granted = await waiting;
  const migrator = new AgentVault({ agentKey: granted.value!, baseUrl });
  const db = await migrator.getSecret('production/postgres/main');
  log(`   approved token ${granted.id} (tier ${granted.approvedTier}) read ${db.path}`);

  log('4. The audit trail shows all of it');
  const { events } = await orchestrator.queryAudit({ namespace: 'production', order: 'asc', limit: 20 });
  for (const event of events)
    log(
      `   ${event.type.padEnd(14)} ${event.success ? 'ok     ' : 'refused'} ${event.actor} ${event.path ?? ''}`,
    );
}
