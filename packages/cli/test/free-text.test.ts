/**
 * Every printer escapes (issue 19, finding 5): text stored before the vault refused control
 * characters — or written by a server that does not refuse them — reaches the approver's terminal
 * as visible escapes, never as escape sequences the terminal acts on.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault } from '@agentvault/core';
import { createExpressMiddleware } from '@agentvault/core/express';
import { testKeyWrapper } from '@agentvault/core/testing';
import express from 'express';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cli } from './helpers';

const ESC = '\u001b';
/** Clear the screen, home the cursor, print a reassuring green line. */
const REDRAW = `${ESC}[2J${ESC}[H${ESC}[32mread-only: staging/docs${ESC}[0m`;
const RLO = '\u202e';
const C1_CSI = '\u009b';

/** Anything a terminal would act on. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/**
 * A served vault whose storage hands back approval rows as an older version (before validation)
 * stored them: with escape sequences in the description, the requester's description and a note.
 */
async function vaultWithOldRows() {
  const storage = memoryAdapter();
  const spoof = <
    T extends {
      request: { description: string | null };
      requesterDescription: string | null;
      decisions: { note: string | null }[];
    },
  >(
    record: T,
  ): T => ({
    ...record,
    request: { ...record.request, description: `nightly backup ${REDRAW}` },
    requesterDescription: `ci-bot ${RLO}nimda${C1_CSI}2J`,
    decisions: record.decisions.map((d) => ({ ...d, note: `fine${ESC}]8;;https://evil.example${ESC}\\link` })),
  });
  const spoofing = new Proxy(storage, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      // Approval records as storage v2 hands them back: by key (getRecords) and listed (listRecords).
      type Row = { kind: string; record: Parameters<typeof spoof>[0]; rev: number } | null;
      const spoofRow = (row: Row) => (row && row.kind === 'approval' ? { ...row, record: spoof(row.record) } : row);
      if (property === 'getRecords' || property === 'listRecords')
        return async (...args: unknown[]) => {
          const rows = await (value as (...a: unknown[]) => Promise<Row[]>).apply(target, args);
          return rows.map(spoofRow);
        };
      return value.bind(target);
    },
  });
  const vault = createVault({ storage: spoofing, keys: testKeyWrapper(), logger: { warn() {}, error() {} } });
  const adminKey = (await vault.createAgentKey({ roles: ['admin'] })).value;
  const approverKey = (await vault.createAgentKey({ roles: ['approver'] })).value;
  const server = createServer(express().use('/v1', createExpressMiddleware(vault, { rateLimiter: false })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { vault, storage, baseUrl, adminKey, approverKey };
}

describe('printing stored text', () => {
  it('approvals show, list and --json print escape sequences as visible escapes', async () => {
    const { vault, baseUrl, adminKey, approverKey } = await vaultWithOldRows();
    await vault.setSecret('production/db', 'postgresql://x', { tier: 'critical' });
    const pending = await vault.requestToken({ scope: 'secrets:read:production/*', description: 'backup' }, { token: adminKey });
    const id = pending.approvalRequestId!;
    await vault.approve(id, { comment: 'ok' }, { token: approverKey });
    const as = { key: approverKey, url: baseUrl };

    const show = await cli(['approvals', 'show', id], as);
    expect(show.code).toBe(0);
    expect(show.stdout).not.toMatch(UNSAFE);
    expect(show.stdout).toContain('nightly backup \\u001b[2J\\u001b[H\\u001b[32mread-only: staging/docs\\u001b[0m');
    expect(show.stdout).toContain('ci-bot \\u202enimda\\u009b2J');
    expect(show.stdout).toContain('fine\\u001b]8;;https://evil.example\\u001b\\link');

    const list = await cli(['approvals', 'list', '--status', 'approved'], as);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(id);
    expect(list.stdout + list.stderr).not.toMatch(UNSAFE);

    const json = await cli(['--json', 'approvals', 'show', id], as);
    expect(json.stdout).not.toMatch(UNSAFE);
    // Still the same JSON value: the escapes are JSON's own.
    expect(JSON.parse(json.stdout)).toMatchObject({ requesterDescription: `ci-bot ${RLO}nimda${C1_CSI}2J` });
  });

  it('the audit table and audit --follow escape an event patched in storage', async () => {
    const { vault, storage, baseUrl, adminKey } = await vaultWithOldRows();
    await vault.setSecret('a/b', 'v');
    const [event] = (await vault.queryAudit({ type: 'secret.create' })).events;
    await storage.backdoor().patchAuditEvent('default', event!.id, {
      actor: `key:k${ESC}[2K${ESC}[1Gapproved by security`,
      error: `x${C1_CSI}31m`,
    });
    const as = { key: adminKey, url: baseUrl };
    const table = await cli(['audit', '--type', 'secret.create'], as);
    expect(table.code).toBe(0);
    expect(table.stdout).not.toMatch(UNSAFE);
    expect(table.stdout).toContain('key:k\\u001b[2K\\u001b[1Gapproved by security');
    const follow = await cli(['audit', '--follow', '--max-events', '1', '--type', 'secret.create', '--interval', '100'], as);
    expect(follow.stdout).not.toMatch(UNSAFE);
    expect(follow.stdout).toContain('\\u001b[2K');
  });

  it('a denial note in an error message is escaped on stderr', async () => {
    const { vault, baseUrl, adminKey, approverKey } = await vaultWithOldRows();
    await vault.setSecret('production/db', 'postgresql://x', { tier: 'critical' });
    const pending = await vault.requestToken({ scope: 'secrets:read:production/*' }, { token: adminKey });
    await vault.deny(pending.approvalRequestId!, { reason: 'no' }, { token: approverKey });
    const wait = await cli(['token', 'wait', pending.approvalRequestId!], { key: adminKey, url: baseUrl });
    expect(wait.code).not.toBe(0);
    expect(wait.stderr).toContain('was denied: fine\\u001b]8;;');
    expect(wait.stderr).not.toMatch(UNSAFE);
  });
});
