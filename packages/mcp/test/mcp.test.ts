/**
 * The real `agentvault-mcp` binary driven by the MCP SDK's own client over stdio, against a real
 * AgentVault server: initialize, list tools, call each; every call audited under the token's id.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { AgentVault } from '@agentvault/client';
import { createVault } from '@agentvault/core';
import { createExpressMiddleware } from '@agentvault/core/express';
import { testKeyWrapper } from '@agentvault/core/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import express from 'express';
import { describe, expect, it, onTestFinished } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/agentvault-mcp.js', import.meta.url));
const VALUES = ['sk-proj-standard-value', 'postgresql://critical-value', 'staging-value'];

async function served() {
  const vault = createVault({ storage: memoryAdapter(), keys: testKeyWrapper(), logger: { warn() {}, error() {} } });
  const adminKey = (await vault.createAgentKey({ roles: ['admin'] })).value;
  const approverKey = (await vault.createAgentKey({ roles: ['approver'] })).value;
  const server = createServer(express().use('/v1', createExpressMiddleware(vault)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const admin = new AgentVault({ agentKey: adminKey, baseUrl, retries: 0 });
  const approver = new AgentVault({ agentKey: approverKey, baseUrl, retries: 0 });
  await admin.createSecret({ path: 'production/openai/api-key', value: VALUES[0]!, tier: 'standard', type: 'api_key' });
  await admin.createSecret({ path: 'production/postgres/main', value: VALUES[1]!, tier: 'critical', type: 'db_credential' });
  await admin.createSecret({ path: 'staging/app/key', value: VALUES[2]! });
  return { baseUrl, adminKey, admin, approver };
}

/** The binary on stdio, as an MCP client (Claude Desktop, an IDE) starts it. */
async function connect(env: Record<string, string>) {
  const stderr: string[] = [];
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN],
    env: { PATH: process.env.PATH ?? '', AGENTVAULT_RUN_SOURCE: '1', ...env },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const client = new Client({ name: 'agentvault-mcp-test', version: '1.0.0' });
  await client.connect(transport);
  onTestFinished(() => client.close());
  const responses: string[] = [];
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = await client.callTool({ name, arguments: args });
    const content = result.content as { type: string; text: string }[];
    const text = content.map((c) => c.text).join('\n');
    responses.push(text);
    return { isError: result.isError === true, text, json: () => JSON.parse(text) };
  };
  return { client, call, responses, stderr };
}

describe('agentvault-mcp', () => {
  it('initializes, lists its four tools with input schemas, and serves a scoped token\'s reads', async () => {
    const { baseUrl, admin } = await served();
    const token = await admin.requestToken({
      scope: 'secrets:read:production/openai/* secrets:list:production/*',
      ttlSeconds: 600,
      description: 'mcp agent',
    });
    const { client, call, responses, stderr } = await connect({ AGENTVAULT_URL: baseUrl, AGENTVAULT_TOKEN: token.value! });

    expect(client.getServerVersion()).toEqual({ name: 'agentvault', version: '0.1.0' });
    expect(client.getInstructions()).toContain('check_approval');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['check_approval', 'get_secret', 'list_secrets', 'request_token']);
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(byName.get_secret!.inputSchema).toMatchObject({ type: 'object', required: ['path'] });
    expect(Object.keys(byName.get_secret!.inputSchema.properties!)).toEqual(['path', 'version', 'token_id']);
    expect(byName.request_token!.inputSchema.required).toEqual(['scope']);
    expect(byName.get_secret!.annotations).toMatchObject({ readOnlyHint: true });

    const read = await call('get_secret', { path: 'production/openai/api-key' });
    expect(read).toMatchObject({ isError: false, text: VALUES[0] });
    expect((await call('get_secret', { path: 'production/openai/api-key', version: 'v1' })).text).toBe(VALUES[0]);

    const refused = await call('get_secret', { path: 'production/postgres/main' });
    expect(refused.isError).toBe(true);
    expect(refused.json()).toEqual({
      error: { code: 'permission_denied', message: expect.any(String), required_scope: expect.stringMatching(/^secrets:read:production\/postgres\//) },
    });
    const missing = await call('get_secret', { path: 'production/openai/nope' });
    expect(missing.json().error).toMatchObject({ code: 'not_found', message: expect.stringContaining('production/openai/nope') });
    const invalid = await call('get_secret', { path: '' });
    expect(invalid.isError).toBe(true);

    const listed = await call('list_secrets', { namespace: 'production' });
    expect(listed.isError).toBe(false);
    // The critical secret is above the token's approved tier, so the vault leaves it out.
    expect(listed.json()).toEqual({
      total: 1,
      items: [
        {
          path: 'production/openai/api-key',
          version: 1,
          tier: 'standard',
          type: 'api_key',
          description: null,
          tags: {},
          updated_at: expect.any(String),
          expires_at: null,
        },
      ],
      next_cursor: null,
    });
    expect((await call('list_secrets', { namespace: 'staging' })).json().error.code).toBe('permission_denied');

    // A narrower child token: issued at once, held by the server, used by id.
    const narrowed = await call('request_token', { scope: 'secrets:read:production/openai/api-key', max_uses: 1 });
    const child = narrowed.json();
    expect(child).toMatchObject({ status: 'issued', token_id: expect.stringMatching(/^tok_/), approved_tier: 'standard' });
    expect((await call('get_secret', { path: 'production/openai/api-key', token_id: child.token_id })).text).toBe(VALUES[0]);
    const spent = await call('get_secret', { path: 'production/openai/api-key', token_id: child.token_id });
    expect(spent.json().error.code).toBe('unauthorized');
    expect((await call('get_secret', { path: 'production/openai/api-key', token_id: 'tok_unknown' })).json().error.code).toBe('validation_error');
    const broader = await call('request_token', { scope: 'secrets:read:production/*' });
    expect(broader.json().error).toMatchObject({ code: 'permission_denied' });

    // An approval request made by someone else: a token may not look at it.
    const foreign = await admin.requestToken({ scope: 'secrets:read:production/postgres/*' });
    const look = await call('check_approval', { approval_id: foreign.approvalRequestId });
    expect(look.json().error.code).toBe('permission_denied');

    // Values only from get_secret; never a token value or the server's credential.
    for (const [i, text] of responses.entries()) {
      expect(text).not.toContain(token.value!);
      expect(text).not.toMatch(/ast_tok_|ass_live_/);
      if (!text.startsWith('sk-proj')) for (const value of VALUES) expect(text, `response ${i}`).not.toContain(value);
    }
    expect(stderr.join('')).not.toContain(token.value!);

    // Every call is audited under the token's identity.
    const trail = await admin.queryAudit({ actor: `token:${token.id}`, order: 'asc', limit: 100 });
    const types = trail.events.map((e) => [e.type, e.path, e.success]);
    expect(types).toEqual(expect.arrayContaining([
      ['secret.read', 'production/openai/api-key', true],
      ['secret.read', 'production/postgres/main', false],
      ['secret.list', 'production', true],
      ['secret.list', 'staging', false],
      ['token.issue', null, true],
      ['token.request', null, false],
      ['approval.read', null, false],
    ]));
    const childReads = await admin.queryAudit({ actor: `token:${child.token_id}`, type: 'secret.read' });
    expect(childReads.events.map((e) => e.success).sort()).toEqual([false, true]);
  });

  it('with an agent key, request_token returns pending with the approval id; check_approval collects the token once approved', async () => {
    const { baseUrl, adminKey, admin, approver } = await served();
    const { call, responses, stderr } = await connect({ AGENTVAULT_URL: baseUrl, ASS_AGENT_KEY: adminKey });
    expect(stderr.join('')).toContain('warning: running with an agent key');

    const pending = (await call('request_token', { scope: 'secrets:read:production/postgres/*', description: 'migration' })).json();
    expect(pending).toEqual({
      status: 'pending',
      approval_id: expect.stringMatching(/^apr_/),
      scope: 'secrets:read:production/postgres/*',
      approve_url: `${baseUrl}/approvals/${pending.approval_id}`,
      next: expect.any(String),
    });
    const waiting = (await call('check_approval', { approval_id: pending.approval_id })).json();
    expect(waiting).toMatchObject({ status: 'pending', tier: 'critical', approvals: 0, required_approvals: 1 });
    expect(waiting.token_id).toBeUndefined();

    await approver.approve(pending.approval_id, { comment: 'ok for tonight' });
    const approved = (await call('check_approval', { approval_id: pending.approval_id })).json();
    expect(approved).toMatchObject({
      status: 'approved',
      token_id: expect.stringMatching(/^tok_/),
      approved_tier: 'critical',
      decisions: [{ decision: 'approve', note: 'ok for tonight' }],
    });
    const value = await call('get_secret', { path: 'production/postgres/main', token_id: approved.token_id });
    expect(value.text).toBe(VALUES[1]);
    const again = (await call('check_approval', { approval_id: pending.approval_id })).json();
    expect(again).toMatchObject({ status: 'approved', token_id: approved.token_id, held_by_this_server: true });

    const denied = (await call('request_token', { scope: 'secrets:read:production/postgres/*' })).json();
    await approver.deny(denied.approval_id, { reason: 'no' });
    expect((await call('check_approval', { approval_id: denied.approval_id })).json()).toMatchObject({ status: 'denied' });

    for (const text of responses) expect(text).not.toMatch(/ast_tok_|ass_live_/);
    const reads = await admin.queryAudit({ actor: `token:${approved.token_id}`, type: 'secret.read' });
    expect(reads.events.map((e) => [e.path, e.success])).toEqual([['production/postgres/main', true]]);
  });

  it('with a scoped token, asking for secrets above its tier waits for a human and yields a child token', async () => {
    const { baseUrl, admin, approver } = await served();
    // Granted while ops/ holds only standard secrets; a critical one arrives later.
    const token = await admin.requestToken({ scope: 'secrets:read:ops/*', ttlSeconds: 600, description: 'agent' });
    await admin.createSecret({ path: 'ops/db/root', value: VALUES[1]!, tier: 'critical' });
    const { call, responses } = await connect({ AGENTVAULT_URL: baseUrl, AGENTVAULT_TOKEN: token.value! });
    expect((await call('get_secret', { path: 'ops/db/root' })).json().error.code).toBe('permission_denied');
    const pending = (await call('request_token', { scope: 'secrets:read:ops/db/*' })).json();
    expect(pending).toMatchObject({ status: 'pending', approval_id: expect.stringMatching(/^apr_/) });
    await approver.approve(pending.approval_id, {});
    const approved = (await call('check_approval', { approval_id: pending.approval_id })).json();
    expect(approved).toMatchObject({ status: 'approved', token_id: expect.stringMatching(/^tok_/), approved_tier: 'critical' });
    expect((await call('get_secret', { path: 'ops/db/root', token_id: approved.token_id })).text).toBe(VALUES[1]);
    for (const text of responses) expect(text).not.toMatch(/ast_tok_|ass_live_/);
    const requests = await admin.queryAudit({ type: 'approval.request' });
    expect(requests.events.map((e) => e.actor)).toEqual([`token:${token.id}`]);
  });

  it('refuses to start without a credential, naming the variable', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN],
      env: { PATH: process.env.PATH ?? '', AGENTVAULT_RUN_SOURCE: '1', AGENTVAULT_URL: 'http://127.0.0.1:9/v1' },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 't', version: '1' });
    await expect(client.connect(transport)).rejects.toThrow();
    await client.close().catch(() => {});
    expect(stderr).toContain('Set AGENTVAULT_TOKEN to a scoped token');
  });
});
