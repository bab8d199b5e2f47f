/**
 * Finding 1: `max_uses` multiplied through child tokens (a `max_uses=10` token minted recursively
 * gave 512 reads). Now a child's uses are carved out of its parent's: the attacker mints children
 * and grandchildren, spreading whatever budget is left, and reads with every token until all refuse.
 */
import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault } from '@agentvault/core';
import { testKeyWrapper } from '@agentvault/core/testing';
import type { Figure, Probe } from './lib';

export const probe: Probe = {
  name: 'tree',
  finding: 'a max_uses=10 token spread over children and grandchildren, every token reading until refused',
  async run() {
    const vault = createVault({ storage: memoryAdapter(), keys: testKeyWrapper(), logger: { warn() {}, error() {} } });
    await vault.setSecret('production/db/password', 'value');
    const root = await vault.requestToken({ scope: 'secrets:read:production/*', maxUses: 10 });
    const tokens = [root.value!];
    let refusedMints = 0;
    // Breadth first: every token tries to give two children half of what it has left, and so on.
    for (let i = 0; i < tokens.length && tokens.length < 200; i++) {
      for (let child = 0; child < 2; child++) {
        try {
          const minted = await vault.requestToken({ scope: 'secrets:read:production/*', maxUses: 2 }, { token: tokens[i]! });
          tokens.push(minted.value!);
        } catch {
          refusedMints++;
        }
      }
    }
    let reads = 0;
    for (const token of tokens) {
      for (;;) {
        try {
          await vault.getSecret('production/db/password', { token });
          reads++;
        } catch {
          break;
        }
      }
    }
    await vault.close();
    return [
      { name: 'tokens in the tree', value: tokens.length },
      { name: 'mints refused (budget spent)', value: refusedMints },
      { name: 'successful reads by the whole tree', value: reads, target: '= 10', ok: reads === 10 },
    ] satisfies Figure[];
  },
};
