/**
 * Finding 4: the tier of a token request was found by paging through every secret its grants
 * match, so one 20-grant request over 20,000 critical secrets took 17 s. Now a scope holds at most
 * 20 grants, and the tier comes from the storage's tier-filtered listing, served from an index (on
 * memory: a sorted path list per tier). The p50 of a 20-grant request with 10,000 and then 100,000
 * secrets in the tenant, in the same run (memory storage).
 */
import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault } from '@agentvault/core';
import { testKeyWrapper } from '@agentvault/core/testing';
import type { Figure, Probe } from './lib';

const GRANTS = Array.from({ length: 20 }, (_, i) => `secrets:read:team${i}/*`).join(' ');

export const probe: Probe = {
  name: 'scope-cost',
  finding: 'a 20-grant token request over a tenant of 10,000, then 100,000 secrets (half critical, beside the grants)',
  async run() {
    const vault = createVault({ storage: memoryAdapter(), keys: testKeyWrapper(), logger: { warn() {}, error() {} } });
    const fill = async (from: number, to: number) => {
      // Half standard under the grants' namespaces, half critical beside them (never matched).
      for (let i = from; i < to; i++) {
        if (i % 2 === 0) await vault.setSecret(`team${i % 20}/s${i}`, 'v');
        else await vault.setSecret(`team${i % 20}x/s${i}`, 'v', { tier: 'critical' });
      }
    };
    const p50 = async () => {
      const samples: number[] = [];
      for (let i = 0; i < 41; i++) {
        const started = performance.now();
        await vault.requestToken({ scope: GRANTS });
        samples.push(performance.now() - started);
      }
      return samples.sort((a, b) => a - b)[20]!;
    };
    await fill(0, 10_000);
    const small = await p50();
    await fill(10_000, 100_000);
    const large = await p50();
    await vault.close();
    const ratio = large / small;
    return [
      { name: 'p50 at 10,000 secrets (ms)', value: small.toFixed(2) },
      { name: 'p50 at 100,000 secrets (ms)', value: large.toFixed(2) },
      { name: 'ratio 100k / 10k', value: ratio.toFixed(2), target: '≤ 1.5', ok: ratio <= 1.5 },
    ] satisfies Figure[];
  },
};
