import { randomBytes } from 'node:crypto';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault } from '@agentvault/core';
import { localKeyring } from '@agentvault/kms-local';

const vault = createVault({
  storage: memoryAdapter(),
  keys: localKeyring({ keys: { k: randomBytes(32) } }),
  logger: { warn() {}, error() {} },
});
await vault.setSecret('bench/value', 'x'.repeat(64));
const token = await vault.requestToken({ scope: 'secrets:read:bench/*', ttlSeconds: 86400 });
const opts = process.argv[2] === 'token' ? { token: token.value } : undefined;
for (let round = 0; round < 6; round++) {
  const n = 50000;
  const t = performance.now();
  for (let i = 0; i < n; i++) await vault.getSecret('bench/value', opts);
  console.log('us/op', (((performance.now() - t) * 1000) / n).toFixed(1));
}
