import { randomBytes } from 'node:crypto';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { describe, expect, it } from 'vitest';
import type { KeyWrapper } from '../src/contracts/key-wrapper';
import {
  AgentVaultApprovalPendingError,
  AgentVaultAuthError,
  AgentVaultConflictError,
  AgentVaultError,
  AgentVaultIntegrityError,
  AgentVaultNotFoundError,
  AgentVaultPermissionError,
  AgentVaultUnavailableError,
  AgentVaultValidationError,
} from '../src/errors';
import { manualClock } from '../src/testing/clock';
import { countingKeyWrapper, testKeyWrapper } from '../src/testing/key-wrappers';
import { createVault } from '../src/vault/create-vault';
import type { VaultOptions } from '../src/vault/runtime';
import { overriding } from './support/overriding';

const k1 = randomBytes(32);
const k2 = randomBytes(32);

function setup(overrides: Partial<VaultOptions> = {}) {
  const storage = memoryAdapter();
  const logs: string[] = [];
  const logger = {
    warn: (m: string, f?: unknown) => logs.push(`${m} ${JSON.stringify(f ?? '')}`),
    error: (m: string, f?: unknown) => logs.push(`${m} ${JSON.stringify(f ?? '')}`),
  };
  const vault = createVault({
    storage,
    keys: testKeyWrapper({ keys: { k1 } }),
    clock: manualClock(),
    logger,
    ...overrides,
  });
  return { vault, storage, logs };
}

describe('vault', () => {
  it('fails closed: when the audit event cannot be stored, nothing is returned', async () => {
    const { vault, storage } = setup();
    await vault.setSecret('fc/key', 'fail-closed-value');
    const broken = createVault({
      storage: overriding(storage, {
        readSecret: () => Promise.reject(new Error('audit table unavailable')),
        commit: () => Promise.reject(new Error('audit table unavailable')),
      }),
      keys: testKeyWrapper({ keys: { k1 } }),
      logger: { warn() {}, error() {} },
    });
    await expect(broken.getSecret('fc/key')).rejects.toThrow('memory: audit table unavailable');
    await expect(broken.listSecrets('fc')).rejects.toThrow('memory: audit table unavailable');
    await expect(broken.listVersions('fc/key')).rejects.toThrow(AgentVaultError);
  });

  it('wraps foreign storage failures with the adapter name and their cause', async () => {
    const { storage } = setup();
    const cause = new Error('connection reset');
    const vault = createVault({
      storage: overriding(storage, { getRecords: () => Promise.reject(cause) }),
      keys: testKeyWrapper(),
      logger: { warn() {}, error() {} },
    });
    const error = await vault.setSecret('x/y', 'v').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentVaultError);
    expect((error as AgentVaultError).code).toBe('internal_error');
    expect((error as Error).message).toBe('memory: connection reset');
    expect((error as Error).cause).toBe(cause);
  });

  it('writes nothing when the key service is unavailable, and audits the failure', async () => {
    const down: KeyWrapper = {
      name: 'flaky',
      currentKeyId: () => 'k',
      wrap: () => Promise.reject(new AgentVaultUnavailableError('flaky: throttled')),
      unwrap: () => Promise.reject(new AgentVaultUnavailableError('flaky: throttled')),
    };
    const { vault } = setup({ keys: down });
    await expect(vault.setSecret('kms/key', 'v')).rejects.toBeInstanceOf(AgentVaultUnavailableError);
    expect((await vault.listSecrets('kms')).total).toBe(0);
    const [event] = (await vault.queryAudit({ type: 'secret.create' })).events;
    expect(event).toMatchObject({ success: false, error: 'unavailable', path: 'kms/key' });
  });

  it('seals once per version when writers of one secret race inside one instance', async () => {
    const keys = countingKeyWrapper(testKeyWrapper({ keys: { k1 } }));
    const vault = createVault({ storage: memoryAdapter(), keys });
    await vault.setSecret('race/one', 'v0');
    keys.reset();
    await Promise.all(Array.from({ length: 100 }, (_, i) => vault.updateSecret('race/one', { value: `v${i + 1}` })));
    expect(keys.calls.wrap + keys.calls.generateDataKey).toBe(100);
    expect((await vault.getSecret('race/one')).version).toBe(101);
  });

  it('re-wraps every data key under a new key without touching ciphertext', async () => {
    const storage = memoryAdapter();
    const old = createVault({ storage, keys: testKeyWrapper({ keys: { k1 } }) });
    await old.setSecret('rw/a', 'value-a1');
    await old.setSecret('rw/a', 'value-a2');
    await old.setSecret('rw/b', 'value-b', { tenant: 'other' });
    const before = await storage.backdoor().readVersion({ tenant: 'default', path: 'rw/a', version: 1 });
    const keys = countingKeyWrapper(testKeyWrapper({ keys: { k1, k2 }, currentKeyId: 'k2' }));
    const rotating = createVault({ storage, keys });
    expect(await rotating.rewrap()).toEqual({ rewrapped: 3, skipped: 0, keyId: 'k2' });
    expect(await rotating.rewrap()).toEqual({ rewrapped: 0, skipped: 0, keyId: 'k2' });
    const after = await storage.backdoor().readVersion({ tenant: 'default', path: 'rw/a', version: 1 });
    expect(Buffer.from(after!.ciphertext)).toEqual(Buffer.from(before!.ciphertext));
    expect(after!.wrappedKey.keyId).toBe('k2');
    const onlyNewKey = createVault({ storage, keys: testKeyWrapper({ keys: { k2 } }) });
    expect((await onlyNewKey.getSecret('rw/a', { version: 1 })).value).toBe('value-a1');
    expect((await onlyNewKey.getSecret('rw/b', { tenant: 'other' })).value).toBe('value-b');
    const token = await rotating.requestToken({ scope: 'secrets:*:*' });
    await expect(rotating.rewrap({ token: token.value! })).rejects.toThrow('Scoped tokens cannot');
  });

  it('fails with an integrity error when the data key does not belong to the version', async () => {
    const storage = memoryAdapter();
    const vault = createVault({ storage, keys: testKeyWrapper({ keys: { k1 } }) });
    await vault.setSecret('ik/a', 'a');
    await vault.setSecret('ik/b', 'b');
    const backdoor = storage.backdoor();
    const a = await backdoor.readVersion({ tenant: 'default', path: 'ik/a', version: 1 });
    const b = await backdoor.readVersion({ tenant: 'default', path: 'ik/b', version: 1 });
    await backdoor.writeVersion({ ...b!, wrappedKey: a!.wrappedKey });
    vault.clearCaches();
    await expect(vault.getSecret('ik/b')).rejects.toBeInstanceOf(AgentVaultIntegrityError);
  });

  it('attributes refused credentials: unknown as anonymous, known ones by id', async () => {
    const { vault, storage } = setup();
    const token = await vault.requestToken({ scope: 'secrets:read:a/*', ttlSeconds: 60 });
    await vault.revokeToken(token.id!);
    const key = await vault.createAgentKey({});
    await vault.revokeAgentKey(key.id);
    await expect(vault.authenticate('ast_tok_nobody', { ip: '10.0.0.9' })).rejects.toBeInstanceOf(
      AgentVaultAuthError,
    );
    await expect(vault.authenticate(token.value!)).rejects.toBeInstanceOf(AgentVaultAuthError);
    await expect(vault.authenticate(key.value)).rejects.toBeInstanceOf(AgentVaultAuthError);
    await expect(vault.authenticate('Bearer nonsense')).rejects.toBeInstanceOf(AgentVaultAuthError);
    const events = (await vault.queryAudit({ type: 'auth.authenticate', order: 'asc' })).events;
    expect(events.map((e) => [e.actor, e.error, e.ip])).toEqual([
      ['anonymous', 'unauthorized', '10.0.0.9'],
      [`token:${token.id}`, 'unauthorized', null],
      [`key:${key.id}`, 'unauthorized', null],
      ['anonymous', 'unauthorized', null],
    ]);
    expect(await storage.backdoor().dump()).not.toContain(key.value);
  });

  it('imports an agent key the host holds, idempotently, and never a revoked or foreign one', async () => {
    const { vault, storage } = setup();
    const value = `ass_live_${'k'.repeat(43)}`;
    const imported = await vault.createAgentKey({ value, roles: ['admin'], description: 'from the environment' });
    expect(imported).toMatchObject({ value, roles: ['admin'] });
    expect(await vault.authenticate(value)).toMatchObject({ kind: 'key', id: imported.id });
    expect((await vault.createAgentKey({ value, roles: ['admin'] })).id).toBe(imported.id);
    expect(await vault.listAgentKeys()).toHaveLength(1);
    await expect(vault.createAgentKey({ value, roles: ['approver'] })).rejects.toBeInstanceOf(AgentVaultConflictError);
    await expect(vault.createAgentKey({ value, roles: ['admin'] }, { tenant: 'other' })).rejects.toBeInstanceOf(AgentVaultConflictError);
    await vault.revokeAgentKey(imported.id);
    await expect(vault.createAgentKey({ value, roles: ['admin'] })).rejects.toBeInstanceOf(AgentVaultConflictError);
    const malformed = await vault.createAgentKey({ value: 'ass_live_short-secret' }).catch((e: unknown) => e);
    expect(malformed).toBeInstanceOf(AgentVaultValidationError);
    expect(JSON.stringify((malformed as AgentVaultValidationError).issues)).not.toContain('short-secret');
    expect(await storage.backdoor().dump()).not.toContain(value);
  });

  it('refuses unknown options and out-of-range settings instead of ignoring them', async () => {
    const { vault } = setup({ tokens: { maxTtlSeconds: 3600 } });
    await vault.setSecret('o/key', 'v');
    await expect(vault.getSecret('o/key', { versoin: 1 } as never)).rejects.toBeInstanceOf(
      AgentVaultValidationError,
    );
    await expect(vault.deleteSecret('o/key', { permanant: true } as never)).rejects.toBeInstanceOf(
      AgentVaultValidationError,
    );
    await expect(vault.requestToken({ scope: 'secrets:read:o/*', ttlSeconds: 3601 })).rejects.toBeInstanceOf(
      AgentVaultValidationError,
    );
    await expect(
      vault.requestToken({ scope: 'secrets:read:o/*', allowedIps: ['not-an-ip'] }),
    ).rejects.toBeInstanceOf(AgentVaultValidationError);
    expect((await vault.requestToken({ scope: 'secrets:read:o/*' })).ttlSeconds).toBe(3600);
    expect(() => createVault({ storage: memoryAdapter(), keys: testKeyWrapper(), audit: { sealEvery: 0 } })).toThrow(
      TypeError,
    );
    expect(() => createVault({ storage: memoryAdapter(), keys: testKeyWrapper(), audit: { sealIntervalSeconds: 0.5 } })).toThrow(
      TypeError,
    );
    expect(() => createVault({ keys: testKeyWrapper() } as never)).toThrow(TypeError);
  });

  it('accepts a value of exactly the size limit and refuses one byte more', async () => {
    const { vault } = setup({ maxValueBytes: 64 * 1024 });
    await vault.setSecret('size/max', 'é'.repeat(32 * 1024));
    await expect(vault.setSecret('size/over', `${'é'.repeat(32 * 1024)}x`)).rejects.toBeInstanceOf(
      AgentVaultValidationError,
    );
  });

  it('keeps going when an event listener throws, and logs no value or credential', async () => {
    const { vault, logs } = setup({
      onEvent: () => {
        throw new Error('slack is down');
      },
    });
    vault.on('token.issued', async () => {
      throw new Error('email is down');
    });
    await vault.setSecret('ev/key', 'listener-canary-value');
    const token = await vault.requestToken({ scope: 'secrets:read:ev/*' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(token.value).toMatch(/^ast_tok_/);
    expect(logs.filter((l) => l.startsWith('event listener failed'))).toHaveLength(2);
    expect(logs.join('\n')).not.toContain(token.value!);
    expect(logs.join('\n')).not.toContain('listener-canary-value');
  });

  it('puts no credential or value in any refusal error', async () => {
    const { vault } = setup();
    await vault.setSecret('err/key', 'error-canary-value', { tier: 'sensitive' });
    const key = await vault.createAgentKey({ roles: ['approver'] });
    const token = await vault.requestToken({
      scope: 'secrets:read:err/other secrets:list:err/*',
      maxUses: 2,
      allowedIps: ['10.0.0.0/8'],
    });
    const attempts = [
      vault.getSecret('err/key', { token: token.value!, ip: '10.0.0.1' }),
      vault.getSecret('err/key', { token: token.value!, ip: '192.168.0.1' }),
      vault.getSecret('err/key', { token: `${token.value!}tampered` }),
      vault.setSecret('err/key', 'error-canary-value-2', { token: token.value!, ip: '10.0.0.1' }),
      vault.listSecrets('', { token: token.value!, ip: '10.0.0.1' }),
      vault.getSecret('err/key', { token: key.value }),
      vault.requestToken({ scope: 'secrets:read:*' }, { token: key.value }),
      vault.setSecret('err/key', 'x'.repeat(70_000)),
      vault.getSecret('err/other', { token: token.value!, ip: '10.0.0.1' }),
      vault.getSecret('err/other', { token: token.value!, ip: '10.0.0.1' }),
    ];
    const errors = await Promise.all(attempts.map((p) => (p as Promise<unknown>).then(() => null, (e: unknown) => e)));
    expect(errors.every((e) => e instanceof AgentVaultError)).toBe(true);
    const text = JSON.stringify(
      errors.map((e) => ({ ...(e as object), message: (e as Error).message, cause: String((e as Error).cause) })),
    );
    for (const secret of [token.value!, key.value, 'error-canary-value', token.value!.slice('ast_tok_'.length)]) {
      expect(text).not.toContain(secret);
    }
  });

  it('runs maintenance on a timer until stopped, without overlapping passes', async () => {
    const { vault } = setup();
    const reports: number[] = [];
    const handle = vault.startMaintenance({ intervalMs: 15, onReport: () => void reports.push(Date.now()) });
    while (reports.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await handle.stop();
    const stoppedAt = reports.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(reports.length).toBe(stoppedAt);
    expect(() => vault.startMaintenance({ intervalMs: 1 })).toThrow(TypeError);
  });

  it('rotates every due secret in one maintenance pass, past the first page of 100', async () => {
    const clock = manualClock();
    const { vault } = setup({ clock });
    vault.registerRotationHandler('due/*', { create: async ({ path }) => `rotated-${path}` });
    for (let i = 0; i < 130; i++) {
      await vault.setSecret(`due/s-${i}`, 'v1', { rotation: { everySeconds: 3600 } });
    }
    clock.advanceSeconds(3601);
    const report = await vault.runMaintenance();
    expect(report.rotations).toMatchObject({ rotated: 130, failed: 0 });
    expect((await vault.getSecret('due/s-129')).value).toBe('rotated-due/s-129');
  });

  it('stops waiting for an approval at the timeout', async () => {
    const { vault } = setup();
    await vault.setSecret('wait/crit', 'v', { tier: 'critical' });
    const pending = await vault.requestToken({ scope: 'secrets:read:wait/*' });
    const error = await vault
      .waitForApproval(pending.approvalRequestId!, { timeoutMs: 30, pollIntervalMs: 10 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentVaultApprovalPendingError);
    expect((error as AgentVaultApprovalPendingError).approvalRequestId).toBe(pending.approvalRequestId);
  });

  it('audits every refused decision and wait, without storing the rejected note', async () => {
    const { vault } = setup();
    await vault.setSecret('refuse/crit', 'v', { tier: 'critical' });
    const pending = await vault.requestToken({ scope: 'secrets:read:refuse/*' }, { actor: 'agent' });
    const id = pending.approvalRequestId!;
    const note = `refused-note-canary-${'x'.repeat(1100)}`;
    const failures = async () => (await vault.queryAudit({ success: false, limit: 200 })).events;
    const refusals: [() => Promise<unknown>, new (...args: never[]) => Error, string][] = [
      [() => vault.approve(id, { comment: note }, { actor: 'alice' }), AgentVaultValidationError, 'approval.approve'],
      [() => vault.deny(id, { reason: note }, { actor: 'alice' }), AgentVaultValidationError, 'approval.deny'],
      [() => vault.waitForApproval(id, { actor: 'mallory', timeoutMs: 30, pollIntervalMs: 10 }), AgentVaultPermissionError, 'approval.read'],
      [() => vault.waitForApproval(id, { actor: 'agent', timeoutMs: 30, pollIntervalMs: 10 }), AgentVaultApprovalPendingError, 'approval.read'],
      [() => vault.waitForApproval('apr_unknown', { actor: 'agent', timeoutMs: 30 }), AgentVaultNotFoundError, 'approval.read'],
    ];
    for (const [attempt, errorClass, type] of refusals) {
      const before = await failures();
      await expect(attempt()).rejects.toBeInstanceOf(errorClass);
      const after = await failures();
      expect(after).toHaveLength(before.length + 1);
      const added = after.filter((e) => !before.some((b) => b.id === e.id));
      expect(added).toMatchObject([{ type, success: false }]);
    }
    const all = JSON.stringify((await vault.queryAudit({ limit: 200 })).events);
    expect(all).not.toContain('refused-note-canary');
  });
});
