/** The vault's side of the edge (vault/edge): aggregate refusal events, and credential resolution that audits nothing. */
import { memoryAdapter } from '@agentvault/adapter-memory';
import { describe, expect, it } from 'vitest';
import { AgentVaultAuthError, AgentVaultValidationError } from '../src/errors';
import { manualClock } from '../src/testing/clock';
import { testKeyWrapper } from '../src/testing/key-wrappers';
import { createVault } from '../src/vault/create-vault';

function setup() {
  const clock = manualClock();
  const vault = createVault({ storage: memoryAdapter(), keys: testKeyWrapper(), clock, logger: { warn() {}, error() {} } });
  const events = async () => (await vault.queryAudit({ order: 'asc' })).events.filter((e) => e.type !== 'audit.read');
  return { vault, clock, events };
}

describe('vault.auditRefusals', () => {
  it('appends one refusal event with the total, the count per code and the window, into the chain', async () => {
    const { vault, clock, events } = setup();
    const windowStart = clock.now() - 60_000;
    await vault.auditRefusals({
      type: 'request.refused',
      ip: '203.0.113.7',
      windowStart,
      windowEnd: windowStart + 60_000,
      counts: { rate_limited: 40, invalid_request: 2, validation_error: 3 },
    });
    const [event] = await events();
    expect(event).toMatchObject({
      type: 'request.refused',
      success: false,
      error: 'rate_limited',
      actor: 'anonymous',
      ip: '203.0.113.7',
      path: null,
      details: {
        count: 45,
        count_rate_limited: 40,
        count_invalid_request: 2,
        count_validation_error: 3,
        window_start: new Date(windowStart).toISOString(),
        window_seconds: 60,
      },
    });
    expect((await vault.verifyAudit()).ok).toBe(true);
  });

  it('refuses a malformed batch', async () => {
    const { vault, events } = setup();
    const base = { type: 'auth.failed' as const, ip: null, windowStart: 0, windowEnd: 60_000 };
    for (const bad of [
      { ...base, counts: {} },
      { ...base, counts: { 'Not A Code': 1 } },
      { ...base, counts: { unauthorized: 0 } },
      { ...base, windowEnd: 0, counts: { unauthorized: 1 } },
      { ...base, type: 'secret.read', counts: { unauthorized: 1 } },
      { ...base, counts: { unauthorized: 1 }, actor: 'key:forged' },
    ]) {
      await expect(vault.auditRefusals(bad as never)).rejects.toBeInstanceOf(AgentVaultValidationError);
    }
    expect(await events()).toHaveLength(0);
  });
});

describe('vault.resolveCredential', () => {
  it('resolves a key or token to its principal, and audits nothing when it fails', async () => {
    const { vault, events } = setup();
    const key = await vault.createAgentKey({ roles: ['admin'] });
    const before = (await events()).length;
    expect(await vault.resolveCredential(key.value)).toMatchObject({ kind: 'key', id: key.id });
    await expect(vault.resolveCredential('ast_tok_made-up')).rejects.toBeInstanceOf(AgentVaultAuthError);
    await vault.revokeAgentKey(key.id);
    await expect(vault.resolveCredential(key.value)).rejects.toBeInstanceOf(AgentVaultAuthError);
    expect((await events()).map((e) => e.type).slice(before)).toEqual(['agent_key.revoke']);
  });
});
