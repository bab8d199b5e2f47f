/**
 * Rewrites docs/inbox.png and docs/request.png from a realistic scene, in the same headless
 * Chromium the browser tests use:
 *   npm run screenshots -w @agentvault/console
 */
import { fileURLToPath } from 'node:url';
import { startConsoleWorld } from './app';
import { chromiumMissing, launchBrowser } from './browser';

if (chromiumMissing) throw new Error(chromiumMissing);
const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
const w = await startConsoleWorld('express', {}, { approvals: { requiredApprovals: { critical: 2 } } });
const { vault } = w;
const agent = { token: w.agentKey };
try {
  await vault.setSecret('production/app/feature-flags', 'on');
  const pipeline = await vault.requestToken({ scope: 'secrets:read:production/*', description: 'release pipeline #4182', ttlSeconds: 3600 }, agent);
  await vault.setSecret('production/postgres/main', 'postgresql://app:pw@db/app', { tier: 'critical', tags: { team: 'data' } });
  await vault.setSecret('production/postgres/replica', 'postgresql://ro:pw@replica/app', { tier: 'critical' });
  await vault.setSecret('production/postgres/analytics', 'postgresql://an:pw@olap/app', { tier: 'critical' });
  await vault.setSecret('production/stripe/api-key', 'sk_live_x', { tier: 'sensitive', tags: { team: 'payments' } });

  const migration = await vault.requestToken(
    { scope: 'secrets:read:production/postgres/*', description: 'run the nightly schema migration', ttlSeconds: 900, maxUses: 3 },
    { token: pipeline.value! },
  );
  await vault.approve(migration.approvalRequestId!, { comment: 'ok, ticket OPS-42' }, { token: w.bothKey });
  await vault.requestToken({ scope: 'secrets:read:production/stripe/*', description: 'refund reconciliation job', ttlSeconds: 1800 }, agent);
  const denied = await vault.requestToken({ scope: 'secrets:*:production/*', description: 'debug everything' }, agent);
  await vault.deny(denied.approvalRequestId!, { reason: 'far too broad: ask for one namespace' }, { token: w.approverKey });

  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${w.console}/sign-in`);
    await page.getByLabel('Agent key').fill(w.approverKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${w.console}/approvals`);
    await page.screenshot({ path: `${docs}inbox.png`, fullPage: true });
    await page.goto(`${w.console}/approvals/${migration.approvalRequestId!}`);
    await page.screenshot({ path: `${docs}request.png`, fullPage: true });
  } finally {
    await browser.close();
  }
} finally {
  await w.close();
}
