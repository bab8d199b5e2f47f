import { createVault } from '@agentvault/core';
import { describeRequiring, manualClock, testKeyWrapper } from '@agentvault/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeysUnder, redisAdapter } from '../src/index';
import { LinkPredictor } from '../src/link-predictor';
import { newClient, redisAvailable, redisProblem, uniquePrefix } from './redis-env';

describe('link predictor', () => {
  const digest = (n: number) => n.toString(16).padStart(64, '0');

  it('chains predictions through in-flight commands and re-predicts after a miss', () => {
    const predictor = new LinkPredictor();
    const first = predictor.begin('c', digest(1), '1||');
    expect(first.hash).toBeNull();
    predictor.settle('c', first, { appended: true, head: 'a'.repeat(64) });
    const second = predictor.begin('c', digest(2), '1||');
    const third = predictor.begin('c', digest(3), '1||');
    expect(second.prev).toBe('a'.repeat(64));
    expect(third.prev).toBe(second.hash);
    // Another writer got in first: the second command's real head differs, so the third is re-predicted.
    predictor.settle('c', second, { appended: true, head: 'b'.repeat(64) });
    expect(third.prev).toBe('b'.repeat(64));
    // A refusal appends nothing: what was sent after it is predicted on the head before it.
    const refused = predictor.begin('c', digest(4), '1||');
    const after = predictor.begin('c', digest(5), '1||');
    predictor.settle('c', third, { appended: true, head: third.hash! });
    predictor.settle('c', refused, { appended: false });
    expect(after.prev).toBe(third.hash);
    predictor.settle('c', after, { unknown: true });
    expect(predictor.begin('c', digest(6), '1||').hash).toBeNull();
    expect(predictor.stats).toEqual({ predicted: 1, computedByServer: 2 });
  });
});

describeRequiring(redisProblem, 'link prediction against the server', () => {
  const prefix = uniquePrefix();
  const clients = redisAvailable ? [newClient(), newClient()] : [];
  afterAll(async () => {
    if (clients[0]) await deleteKeysUnder(clients[0], prefix);
    await Promise.all(clients.map((c) => c.quit()));
  });

  it('keeps one chain verifiable when two instances interleave, using predictions only where they hold', async () => {
    const [a, b] = clients.map((client) => redisAdapter({ client }, { prefix }));
    const keys = testKeyWrapper();
    const options = { keys, clock: manualClock(), logger: { warn() {}, error() {} }, auditChains: 1 };
    const one = createVault({ ...options, storage: a! });
    const two = createVault({ ...options, storage: b! });
    await one.setSecret('p/key', 'v');
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => ((i % 2 === 0 ? one : two) as typeof one).getSecret('p/key')),
    );
    for (let i = 0; i < 20; i++) await one.getSecret('p/key');
    expect(await one.verifyAudit()).toMatchObject({ ok: true, checked: 221 });
    const stats = [a!.linkPredictions!, b!.linkPredictions!];
    expect(stats.reduce((n, s) => n + s.predicted + s.computedByServer, 0)).toBe(222);
    // Interleaving makes misses; a lone sequential writer predicts every link after the first.
    expect(stats.reduce((n, s) => n + s.computedByServer, 0)).toBeGreaterThan(1);
    expect(stats[0]!.predicted).toBeGreaterThanOrEqual(20);
  });

  it('stores the same chain with prediction off', async () => {
    const storage = redisAdapter({ client: clients[0]! }, { prefix, predictLinks: false });
    const vault = createVault({
      storage,
      keys: testKeyWrapper(),
      clock: manualClock(),
      auditChains: 2,
      defaultTenant: 'off',
    });
    await vault.setSecret('off/key', 'v');
    await Promise.all(Array.from({ length: 30 }, () => vault.getSecret('off/key')));
    expect(await vault.verifyAudit()).toMatchObject({ ok: true, checked: 31 });
    expect(storage.linkPredictions).toBeNull();
  });
});
