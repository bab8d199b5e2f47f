import { randomBytes } from 'node:crypto';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { describe, expect, it } from 'vitest';
import { isUnderNamespace, pathProblem } from '../src/domain/paths';
import { AgentVaultPermissionError, AgentVaultValidationError } from '../src/errors';
import { testKeyWrapper } from '../src/testing/key-wrappers';
import { createVault } from '../src/vault/create-vault';

/** Paths that try to leave `production/openai/*` or smuggle in another path. */
const ESCAPES = [
  'production/openai/../stripe/api-key',
  'production/openai/./api-key',
  'production/openai/..',
  'production/openai%2F..%2Fstripe%2Fapi-key',
  'production%2Fopenai%2Fapi-key',
  'production/openai//api-key',
  'production/openai/api-key/',
  '/production/openai/api-key',
  'production//openai/api-key',
  'production/openai/\u0430pi-key', // Cyrillic а
  'production/openаi/api-key', // Cyrillic а in the folder
  'production\uff0fopenai\uff0fapi-key', // fullwidth solidus
  'production\u2215openai\u2215api-key', // division slash
  'production/openai/api-key\u0000',
  'production/openai/api key',
  'production\\openai\\api-key',
  `production/openai/${'a'.repeat(129)}`,
  `production/${Array.from({ length: 16 }, () => 'x').join('/')}`,
  'x'.repeat(513),
  '',
];

describe('paths', () => {
  it('accepts ordinary paths', () => {
    for (const path of [
      'a',
      'production/openai/api-key',
      'A.b_c-d/0',
      `${'a'.repeat(128)}/b`,
      Array.from({ length: 16 }, () => 'x').join('/'),
    ]) {
      expect(pathProblem(path), path).toBeNull();
    }
  });

  it.each(ESCAPES.map((p) => [p]))('refuses %j', (path) => {
    expect(pathProblem(path)).not.toBeNull();
  });

  it('puts a path under a namespace only on a segment boundary', () => {
    expect(isUnderNamespace('prod/a', 'prod')).toBe(true);
    expect(isUnderNamespace('production/a', 'prod')).toBe(false);
    expect(isUnderNamespace('prod', 'prod')).toBe(false);
    expect(isUnderNamespace('anything', '')).toBe(true);
  });

  it('lets no escape attempt read outside a token scope', async () => {
    const vault = createVault({
      storage: memoryAdapter(),
      keys: testKeyWrapper({ keys: { k: randomBytes(32) } }),
    });
    await vault.setSecret('production/stripe/api-key', 'stripe-secret');
    await vault.setSecret('production/openai-evil/x', 'evil-secret');
    await vault.setSecret('production/openai/api-key', 'openai-secret');
    const { value } = await vault.requestToken({ scope: 'secrets:read:production/openai/*' });
    for (const path of [
      ...ESCAPES,
      'production/openai-evil/x',
      'production/stripe/api-key',
      'production/openai',
    ]) {
      const outcome = await vault.getSecret(path, { token: value! }).catch((error: unknown) => error);
      expect(outcome, path).toSatisfy(
        (e: unknown) => e instanceof AgentVaultValidationError || e instanceof AgentVaultPermissionError,
      );
    }
    expect((await vault.getSecret('production/openai/api-key', { token: value! })).value).toBe(
      'openai-secret',
    );
  });
});
