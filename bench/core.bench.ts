/**
 * Core costs on memory storage and local keys:
 * - audited getSecret (warm data-key cache) against bare AES-256-GCM decryption of a 64-byte value;
 * - unwrap calls that reach the key wrapper for hot and cold read patterns;
 * - a token-authorized getSecret against a trusted in-process one.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault } from '@agentvault/core';
import { countingKeyWrapper } from '@agentvault/core/testing';
import { localKeyring } from '@agentvault/kms-local';
import { asyncOp, type Comparison, check, compare, printChecks, printMeasurements, syncOp } from './lib';

const spread = (c: Comparison) => `${c.spread[0].toFixed(2)}–${c.spread[1].toFixed(2)}`;

const VALUE = 'x'.repeat(64);

function bareDecrypt(): () => Buffer {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const aad = Buffer.from(
    'agentvault/value/v1 [["path","bench/value"],["tenant","default"],["version","1"]]',
  );
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(VALUE), cipher.final()]);
  const tag = cipher.getAuthTag();
  return () => {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  };
}

function newVault() {
  const keys = countingKeyWrapper(localKeyring({ keys: { bench: randomBytes(32) } }));
  const vault = createVault({ storage: memoryAdapter(), keys, logger: { warn() {}, error() {} } });
  return { vault, keys };
}

export async function run(): Promise<void> {
  const { vault, keys } = newVault();
  await vault.setSecret('bench/value', VALUE);
  const token = await vault.requestToken({ scope: 'secrets:read:bench/*', ttlSeconds: 86_400 });

  const decrypt = syncOp('bare AES-256-GCM decrypt (64 B)', bareDecrypt());
  const trusted = asyncOp('audited getSecret, trusted caller', () => vault.getSecret('bench/value'));
  const tokenRead = asyncOp('audited getSecret, scoped token', () =>
    vault.getSecret('bench/value', { token: token.value! }),
  );
  const readVsDecrypt = await compare(decrypt, trusted);
  const tokenVsTrusted = await compare(trusted, tokenRead);
  printMeasurements(
    'Reads on memory storage, warm data-key cache (concurrency 1; medians of 7 interleaved rounds)',
    [readVsDecrypt.baseline, readVsDecrypt.subject, tokenVsTrusted.subject],
  );

  // 1,000 reads spread over 10 versions of one secret, from a cold cache.
  const hot = newVault();
  for (let i = 0; i < 10; i++) await hot.vault.setSecret('bench/versions', `value-${i}`);
  hot.vault.clearCaches();
  hot.keys.reset();
  for (let i = 0; i < 1000; i++) await hot.vault.getSecret('bench/versions', { version: (i % 10) + 1 });
  const hotUnwraps = hot.keys.calls.unwrap;

  // 100 concurrent cold reads of one version.
  const cold = newVault();
  await cold.vault.setSecret('bench/cold', VALUE);
  cold.vault.clearCaches();
  cold.keys.reset();
  await Promise.all(Array.from({ length: 100 }, () => cold.vault.getSecret('bench/cold')));
  const coldUnwraps = cold.keys.calls.unwrap;

  // Writes: one key-wrapper call per version.
  keys.reset();
  for (let i = 0; i < 100; i++) await vault.setSecret('bench/writes', `value-${i}`);
  const wrapCallsPerWrite = (keys.calls.wrap + keys.calls.generateDataKey) / 100;

  printChecks('Targets', [
    check(
      `getSecret / bare decrypt (ops/s; rounds ${spread(readVsDecrypt)})`,
      readVsDecrypt.ratio,
      '>= 0.3',
      (v) => v >= 0.3,
    ),
    check(
      `token getSecret / trusted getSecret (ops/s; rounds ${spread(tokenVsTrusted)})`,
      tokenVsTrusted.ratio,
      '>= 0.8',
      (v) => v >= 0.8,
    ),
    check('unwraps for 1,000 reads over 10 versions', hotUnwraps, '<= 10', (v) => v <= 10),
    check('unwraps for 100 concurrent cold reads of one version', coldUnwraps, '= 1', (v) => v === 1),
    check('key-wrapper calls per write', wrapCallsPerWrite, '= 1', (v) => v === 1),
  ]);
}
