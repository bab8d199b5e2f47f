import { expect, it } from 'vitest';
import { walkthrough } from '../src/walkthrough';

it('walks through storing, scoped tokens, approval and audit', async () => {
  const lines: string[] = [];
  await walkthrough((line) => lines.push(line));
  const output = lines.join('\n');
  expect(output).toContain(
    'agent refused production/STRIPE_KEY: permission_denied, needs secrets:read:production/*',
  );
  expect(output).toMatch(/request apr_\w+ is pending/);
  expect(output).toContain('approval.decided: approved by user:alice');
  expect(output).toContain('maintenance a month later: 1 rotated, 0 failed; provider revoked v1');
  expect(output).toContain('production/SLACK_TOKEN versions: v1, v2 (current)');
  expect(output).toMatch(/verifyAudit: intact/);
  // The walk-through prints lengths and paths, never a value.
  for (const value of ['sk-proj-demo', 'postgresql://app:demo', 'sk_test_demo', 'xoxb-demo'])
    expect(output).not.toContain(value);
});
