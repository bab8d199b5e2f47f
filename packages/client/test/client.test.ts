/** The client against a real AgentVault server (the Express binding on a real socket). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault, type StorageAdapter, type Vault } from '@agentvault/core';
import { createExpressMiddleware } from '@agentvault/core/express';
import { memoryRateLimiter, type VaultHandlerOptions } from '@agentvault/core/http';
import { testKeyWrapper } from '@agentvault/core/testing';
import express from 'express';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SECRET_TYPES, TIERS } from '@agentvault/core';
import {
  AccessTier,
  AgentVault,
  AgentVaultApprovalPendingError,
  AgentVaultAuthError,
  AgentVaultConflictError,
  AgentVaultError,
  AgentVaultNetworkError,
  AgentVaultNotFoundError,
  AgentVaultPermissionError,
  AgentVaultRateLimitError,
  AgentVaultUnavailableError,
  AgentVaultValidationError,
  SecretType,
} from '../src';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function served(
  options: { handler?: VaultHandlerOptions<unknown>; wrap?: (s: StorageAdapter) => StorageAdapter } = {},
) {
  const storage = memoryAdapter();
  const vault: Vault = createVault({
    storage: options.wrap ? options.wrap(storage) : storage,
    keys: testKeyWrapper(),
    logger: { warn() {}, error() {} },
  });
  const admin = (await vault.createAgentKey({ roles: ['admin'] })).value;
  const approver = (await vault.createAgentKey({ roles: ['approver'] })).value;
  const app = express();
  app.use('/v1', createExpressMiddleware(vault, options.handler));
  const baseUrl = `${await listen(createServer(app))}/v1`;
  const as = (agentKey: string, more: { retries?: number; retryDelay?: number; timeoutMs?: number } = {}) =>
    new AgentVault({ agentKey, baseUrl, retryDelay: 5, ...more });
  return { vault, baseUrl, admin: as(admin), approver: as(approver), as };
}

describe('the seed SDK surface', () => {
  it('sets, gets, lists, rotates and deletes secrets with camelCase results and Dates', async () => {
    const { admin } = await served();
    const created = await admin.setSecret('production/openai/api-key', 'sk-proj-abc123', {
      tier: 'sensitive',
      description: 'OpenAI production key',
      tags: { team: 'ml', env: 'prod' },
      expiresAt: new Date('2099-12-31T00:00:00Z'),
    });
    expect(created).toMatchObject({ path: 'production/openai/api-key', version: 1, tier: 'sensitive' });
    expect(created.createdAt).toBeInstanceOf(Date);
    expect((await admin.setSecret('production/openai/api-key', 'sk-proj-456')).version).toBe(2);
    await admin.setSecret('staging/config/feature-flag', 'true');

    const secret = await admin.getSecret('production/openai/api-key');
    expect(secret).toMatchObject({
      value: 'sk-proj-456',
      version: 2,
      path: 'production/openai/api-key',
      tier: 'sensitive',
      description: 'OpenAI production key',
      tags: { team: 'ml', env: 'prod' },
      expiresAt: new Date('2099-12-31T00:00:00Z'),
    });
    expect(secret.accessedAt).toBeInstanceOf(Date);
    expect((await admin.getSecret('production/openai/api-key', { version: 1 })).value).toBe('sk-proj-abc123');

    const page = await admin.listSecrets('production/openai', { limit: 50 });
    expect(page.items.map((item) => [item.path, item.version, item.tier])).toEqual([
      ['production/openai/api-key', 2, 'sensitive'],
    ]);
    expect(page.items[0]!.updatedAt).toBeInstanceOf(Date);
    // The seed SDK's `nextCursor?: string`: absent on the last page.
    expect(page.nextCursor).toBeUndefined();
    expect('nextCursor' in page).toBe(false);
    const first = await admin.listSecrets('', { limit: 1 });
    expect(first.nextCursor).toEqual(expect.any(String));
    expect((await admin.listSecrets('', { limit: 1, cursor: first.nextCursor })).items).toHaveLength(1);

    const rotated = await admin.rotateSecret('production/openai/api-key', 'sk-proj-789', {
      gracePeriodSeconds: 300,
    });
    expect(rotated).toMatchObject({ newVersion: 3, oldVersion: 2 });
    expect(rotated.expiresAt.getTime()).toBeGreaterThan(Date.now() + 290_000);

    await admin.deleteSecret('staging/config/feature-flag');
    await expect(admin.getSecret('staging/config/feature-flag')).rejects.toBeInstanceOf(
      AgentVaultNotFoundError,
    );
    await admin.deleteSecret('staging/config/feature-flag', { permanent: true });
    expect((await admin.listSecrets('staging', { trashed: true })).items).toEqual([]);
  });

  it('uses scoped tokens, per call or as the client credential, and throws the typed errors', async () => {
    const { admin, as, baseUrl } = await served();
    await admin.setSecret('production/openai/api-key', 'sk-openai');
    await admin.setSecret('production/stripe/api-key', 'sk-stripe');
    const token = await admin.requestToken({
      scope: 'secrets:read:production/openai/*',
      ttlSeconds: 3600,
      description: 'Inference agent',
      maxUses: null,
    });
    expect(token).toMatchObject({ approvalStatus: 'approved', scope: 'secrets:read:production/openai/*' });
    expect(token.value).toMatch(/^ast_tok_/);
    expect(token.expiresAt).toBeInstanceOf(Date);

    expect((await admin.getSecret('production/openai/api-key', { token: token.value! })).value).toBe(
      'sk-openai',
    );
    const agent = as(token.value!);
    const refused = await agent.getSecret('production/stripe/api-key').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AgentVaultPermissionError);
    expect(refused).toMatchObject({
      statusCode: 403,
      code: 'permission_denied',
      path: 'production/stripe/api-key',
      requiredScope: 'secrets:read:production/stripe/*',
    });
    await expect(as('ass_live_nope').getSecret('production/openai/api-key')).rejects.toBeInstanceOf(
      AgentVaultAuthError,
    );
    const anonymous = new AgentVault({ agentKey: '', baseUrl });
    await expect(anonymous.listSecrets()).rejects.toThrow(/No credential/);
    const invalid = await admin
      .requestToken({ scope: 'secrets:read:open*' })
      .catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(AgentVaultValidationError);
    expect((invalid as AgentVaultValidationError).issues[0]?.path).toEqual(['scope', 0]);

    const info = await admin.revokeToken(token.id!);
    expect(info.revokedAt).toBeInstanceOf(Date);
    await expect(agent.getSecret('production/openai/api-key')).rejects.toBeInstanceOf(AgentVaultAuthError);
  });

  it('waits for approval with backoff and collects the token once', async () => {
    const { admin, approver } = await served();
    await admin.setSecret('production/postgres/main', 'postgresql://db', { tier: 'critical' });
    const pending = await admin.requestToken({
      scope: 'secrets:read:production/postgres/*',
      ttlSeconds: 900,
    });
    expect(pending).toMatchObject({ approvalStatus: 'pending', value: null });
    // The server has no public URL configured: its path is resolved against the client's base URL.
    expect(pending.approveUrl).toBe(`${admin.baseUrl}/approvals/${pending.approvalRequestId}`);
    const waiting = admin.waitForApproval(pending.approvalRequestId!, {
      timeoutMs: 10_000,
      pollIntervalMs: 20,
    });
    const listed = await approver.listApprovals({ status: 'pending' });
    expect(listed.items.map((a) => a.id)).toEqual([pending.approvalRequestId]);
    const decided = await approver.approve(pending.approvalRequestId!, { comment: 'batch run #4821' });
    expect(decided.decisions[0]).toMatchObject({ decision: 'approve', note: 'batch run #4821' });
    const granted = await waiting;
    expect(granted.value).toMatch(/^ast_tok_/);
    expect((await admin.getSecret('production/postgres/main', { token: granted.value! })).value).toBe(
      'postgresql://db',
    );
    await expect(admin.waitForApproval(pending.approvalRequestId!)).rejects.toBeInstanceOf(
      AgentVaultConflictError,
    );
  });

  it('ends a wait on denial, on its deadline, and on abort', async () => {
    const { admin, approver } = await served();
    await admin.setSecret('production/postgres/main', 'x', { tier: 'critical' });
    const request = () => admin.requestToken({ scope: 'secrets:read:production/postgres/*' });

    const denied = (await request()).approvalRequestId!;
    await approver.deny(denied, { reason: 'Unexpected access pattern' });
    await expect(admin.waitForApproval(denied)).rejects.toBeInstanceOf(AgentVaultPermissionError);

    const slow = (await request()).approvalRequestId!;
    const late = await admin
      .waitForApproval(slow, { timeoutMs: 100, pollIntervalMs: 20 })
      .catch((e: unknown) => e);
    expect(late).toBeInstanceOf(AgentVaultApprovalPendingError);
    expect((late as AgentVaultApprovalPendingError).approvalRequestId).toBe(slow);

    const controller = new AbortController();
    const waiting = admin.waitForApproval(slow, { pollIntervalMs: 5000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('operator gave up')), 50);
    await expect(waiting).rejects.toThrow('operator gave up');
  });
});

describe('extensions', () => {
  it('creates, updates, versions, rolls back, restores, imports and reads the audit trail', async () => {
    const { admin } = await served();
    await admin.createSecret({ path: 'app/db', value: 'one', type: 'db_credential', tier: 'standard' });
    await expect(admin.createSecret({ path: 'app/db', value: 'again' })).rejects.toBeInstanceOf(
      AgentVaultConflictError,
    );
    await admin.updateSecret('app/db', { value: 'two', expectedVersion: 1 });
    await expect(admin.updateSecret('app/db', { value: 'three', expectedVersion: 1 })).rejects.toBeInstanceOf(
      AgentVaultConflictError,
    );
    const versions = await admin.listVersions('app/db');
    expect(versions.map((v) => [v.version, v.isActive])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect((await admin.rollbackSecret('app/db', 'v1')).version).toBe(1);
    expect((await admin.getSecret('app/db')).value).toBe('one');
    await admin.deleteSecret('app/db');
    expect((await admin.restoreSecret('app/db')).trashedAt).toBeNull();

    const imported = await admin.importEnv('OPENAI_KEY=sk-1\nDB_URL=postgres://x\n', {
      namespace: 'production',
      tierByPrefix: { DB_: 'critical' },
    });
    expect(imported.created.map((s) => [s.path, s.tier])).toEqual([
      ['production/OPENAI_KEY', 'standard'],
      ['production/DB_URL', 'critical'],
    ]);
    expect(imported.dryRun).toBe(false);
    expect(imported.counts).toEqual({ created: 2, updated: 0, skipped: 0 });
    const again = await admin.importEnv('OPENAI_KEY=sk-2\n', { namespace: 'production', tier: 'critical' });
    expect(again.counts).toEqual({ created: 0, updated: 0, skipped: 1 });
    // The tier stored, not the one asked for.
    expect(again.skipped.map((s) => [s.path, s.tier, s.reason])).toEqual([['production/OPENAI_KEY', 'standard', 'exists']]);

    const audit = await admin.queryAudit({ namespace: 'app', type: ['secret.rollback', 'secret.restore'] });
    expect(audit.events.map((e) => e.type)).toEqual(['secret.restore', 'secret.rollback']);
    expect(audit.events[0]!.timestamp).toBeInstanceOf(Date);
    expect(audit.events[0]!.userAgent).toBe('agentvault-client/0.1.0');
  });
});

describe('version retention', () => {
  it('sets a secret\'s version retention over HTTP; maintenance then keeps only what it allows', async () => {
    const { admin, vault } = await served();
    await admin.createSecret({ path: 'ret/a', value: 'v1', versionRetention: { versions: 1 } });
    await admin.setSecret('ret/a', 'v2');
    await admin.createSecret({ path: 'ret/b', value: 'v1' });
    await admin.setSecret('ret/b', 'v2');
    await admin.updateSecret('ret/b', { versionRetention: { versions: 1 } });
    expect((await admin.listVersions('ret/a')).map((v) => v.version)).toEqual([1, 2]);
    expect((await vault.runMaintenance()).versionsPruned).toBe(2);
    expect((await admin.listVersions('ret/a')).map((v) => v.version)).toEqual([2]);
    expect((await admin.listVersions('ret/b')).map((v) => v.version)).toEqual([2]);
    const pruned = await admin.queryAudit({ type: 'secret.prune' });
    expect(pruned.events.map((e) => [e.path, e.details.versions]).sort()).toEqual([['ret/a', '1'], ['ret/b', '1']]);
    await expect(admin.createSecret({ path: 'ret/c', value: 'v', versionRetention: { versions: 0 } })).rejects.toBeInstanceOf(
      AgentVaultValidationError,
    );
  });
});

describe('runtime enums', () => {
  it('hold exactly the vault\'s tiers and secret types, and are frozen', () => {
    expect(Object.values(AccessTier).sort()).toEqual([...TIERS].sort());
    expect(Object.values(SecretType).sort()).toEqual([...SECRET_TYPES].sort());
    expect(AccessTier.CRITICAL).toBe('critical');
    expect(SecretType.DB_CREDENTIAL).toBe('db_credential');
    expect(Object.isFrozen(AccessTier) && Object.isFrozen(SecretType)).toBe(true);
  });
});

describe('tag filters and options', () => {
  it('filters a listing by tags (every one must match), over repeated tag=key:value', async () => {
    const { admin } = await served();
    await admin.createSecret({ path: 'svc/a', value: 'v', tags: { team: 'ml', env: 'prod' } });
    await admin.createSecret({ path: 'svc/b', value: 'v', tags: { team: 'ml', env: 'dev' } });
    await admin.createSecret({ path: 'svc/c', value: 'v', tags: { scopes: 'repo,read:org' } });
    const paths = async (tags: Record<string, string>) =>
      (await admin.listSecrets('svc', { tags })).items.map((i) => i.path);
    expect(await paths({ team: 'ml' })).toEqual(['svc/a', 'svc/b']);
    expect(await paths({ team: 'ml', env: 'prod' })).toEqual(['svc/a']);
    expect(await paths({ scopes: 'repo,read:org' })).toEqual(['svc/c']);
    expect(await paths({ team: 'nobody' })).toEqual([]);
    expect(await paths({})).toEqual(['svc/a', 'svc/b', 'svc/c']);
    await expect(admin.listSecrets('svc', { tags: { 'a:b': 'x' } })).rejects.toBeInstanceOf(AgentVaultValidationError);
  });

  it('refuses an unknown option with AgentVaultValidationError before sending anything', async () => {
    const { admin } = await served();
    // Nothing listens here: a request sent would be a network error, not a validation error.
    const unreachable = new AgentVault({ agentKey: 'ass_live_x', baseUrl: 'http://127.0.0.1:9/v1', retries: 0 });
    for (const attempt of [
      () => admin.listSecrets('svc', { tagz: { team: 'ml' } } as never),
      () => admin.getSecret('a/b', { versoin: 2 } as never),
      () => admin.requestToken({ scope: 'secrets:read:a/*', ttl: 60 } as never),
      () => admin.createSecret({ path: 'a/b', value: 'v', expiresIn: 90 } as never),
      () => unreachable.deleteSecret('a/b', { hard: true } as never),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AgentVaultValidationError);
      expect((error as AgentVaultValidationError).issues[0]!.message).toContain('unknown option');
    }
    expect(() => new AgentVault({ agentKey: 'ass_live_x', timeout: 5 } as never)).toThrow(AgentVaultValidationError);
    // An option given as undefined is not given.
    expect((await admin.listSecrets('svc', { cursor: undefined, limit: 50 })).items).toEqual([]);
  });
});

describe('retries', () => {
  it('waits out a 429 as Retry-After says, then succeeds; gives up after `retries`', async () => {
    const { admin, as, vault } = await served({
      handler: { rateLimiter: memoryRateLimiter({ limit: 1, windowSeconds: 1 }) },
    });
    await admin.listSecrets();
    const started = Date.now();
    await admin.listSecrets();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    const key = (await vault.createAgentKey()).value;
    const impatient = as(key, { retries: 0 });
    await impatient.listSecrets();
    const limited = await impatient.listSecrets().catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(AgentVaultRateLimitError);
    expect((limited as AgentVaultRateLimitError).retryAfter).toBe(1);
  });

  it('retries a 503 with backoff, and never a 4xx', async () => {
    let failures = 0;
    let reads = 0;
    const wrap = (storage: StorageAdapter): StorageAdapter =>
      new Proxy(storage, {
        get(target, property) {
          const value = Reflect.get(target, property);
          if (typeof value !== 'function') return value;
          if (property === 'readSecret')
            return (...args: unknown[]) => {
              reads++;
              if (failures > 0) {
                failures--;
                return Promise.reject(new AgentVaultUnavailableError('storage down'));
              }
              return value.apply(target, args);
            };
          return value.bind(target);
        },
      });
    const { admin, as, vault } = await served({ wrap });
    await admin.setSecret('a/b', 'v');
    failures = 2;
    reads = 0;
    expect((await admin.getSecret('a/b')).value).toBe('v');
    expect(reads).toBe(3);

    failures = 10;
    reads = 0;
    const key = (await vault.createAgentKey()).value;
    await expect(as(key, { retries: 2 }).getSecret('a/b')).rejects.toBeInstanceOf(AgentVaultUnavailableError);
    expect(reads).toBe(3);

    failures = 0;
    reads = 0;
    await expect(admin.getSecret('a/missing')).rejects.toBeInstanceOf(AgentVaultNotFoundError);
    expect(reads).toBe(1);
  });

  it('retries network failures and times out an attempt that gets no answer', async () => {
    const refused = new AgentVault({
      agentKey: 'ass_live_x',
      baseUrl: 'http://127.0.0.1:1/v1',
      retries: 2,
      retryDelay: 5,
    });
    const error = await refused.listSecrets().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentVaultNetworkError);
    expect((error as AgentVaultNetworkError).cause).toBeDefined();

    let attempts = 0;
    const silent = createServer(() => {
      attempts++; // never answers
    });
    const url = await listen(silent);
    const timedOut = await new AgentVault({
      agentKey: 'ass_live_x',
      baseUrl: url,
      timeoutMs: 100,
      retries: 1,
      retryDelay: 5,
    })
      .listSecrets()
      .catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(AgentVaultNetworkError);
    expect((timedOut as Error).message).toMatch(/within 100 ms/);
    expect(attempts).toBe(2);
  });

  it('reads an HTML 502 from a proxy as a retryable server error', async () => {
    let attempts = 0;
    const proxy = createServer((_req, res) => {
      attempts++;
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad Gateway</html>');
    });
    const url = await listen(proxy);
    const error = await new AgentVault({ agentKey: 'ass_live_x', baseUrl: url, retries: 1, retryDelay: 5 })
      .getSecret('a/b')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentVaultError);
    expect(error).toMatchObject({ statusCode: 502, code: 'internal_error' });
    expect(attempts).toBe(2);
  });
});
