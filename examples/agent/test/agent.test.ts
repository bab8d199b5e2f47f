import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault } from '@agentvault/core';
import { createExpressMiddleware } from '@agentvault/core/express';
import { testKeyWrapper } from '@agentvault/core/testing';
import express from 'express';
import { expect, it, onTestFinished } from 'vitest';
import { runAgentDemo } from '../src/agent';

async function vaultServer() {
  const vault = createVault({ storage: memoryAdapter(), keys: testKeyWrapper() });
  const admin = await vault.createAgentKey({ roles: ['admin'] });
  const approver = await vault.createAgentKey({ roles: ['approver'] });
  const server = createServer(express().use('/v1', createExpressMiddleware(vault)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { vault, baseUrl, adminKey: admin.value, approverKey: approver.value };
}

it('reads with a scoped token, is refused outside it, and waits for approval of the critical secret', async () => {
  const { baseUrl, adminKey, approverKey } = await vaultServer();
  const lines: string[] = [];
  await runAgentDemo({ baseUrl, adminKey, approverKey, log: (line) => lines.push(line) });
  const output = lines.join('\n');
  expect(output).toContain('agent read production/openai/api-key v1 (18 characters)');
  expect(output).toContain(
    'agent refused production/postgres/main: permission_denied, needs secrets:read:production/postgres/*',
  );
  expect(output).toMatch(
    /request apr_\w+ is pending; an approver decides at http:\/\/127\.0\.0\.1:\d+\/v1\/approvals\/apr_/,
  );
  expect(output).toMatch(/approved token tok_\w+ \(tier critical\) read production\/postgres\/main/);
  expect(output).toMatch(/secret\.read\s+refused token:tok_\w+ production\/postgres\/main/);
  for (const value of ['sk-proj-agent-demo', 'postgresql://app:agent-demo'])
    expect(output).not.toContain(value);
});

it('without an approver key, waits until a human approves over HTTP', async () => {
  const { baseUrl, adminKey, approverKey } = await vaultServer();
  const lines: string[] = [];
  const demo = runAgentDemo({
    baseUrl,
    adminKey,
    approvalTimeoutMs: 10_000,
    log: (line) => lines.push(line),
  });
  // The "human": reads the printed request id and approves with curl's request.
  let id: string | undefined;
  while (!id) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    id = lines.join('\n').match(/request (apr_\w+) is pending/)?.[1];
  }
  const approved = await fetch(`${baseUrl}/approvals/${id}/approve`, {
    method: 'POST',
    headers: { 'authorization': `Bearer ${approverKey}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(approved.status).toBe(200);
  await demo;
  expect(lines.join('\n')).toMatch(/read production\/postgres\/main/);
});
