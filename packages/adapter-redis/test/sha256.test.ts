import { createHash, randomBytes } from 'node:crypto';
import { auditLink } from '@agentvault/core';
import { describeRequiring } from '@agentvault/core/testing';
import { afterAll, expect, it } from 'vitest';
import { SHA256_LUA } from '../src/lua/sha256';
import { newClient, redisAvailable, redisProblem } from './redis-env';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describeRequiring(redisProblem, 'Lua SHA-256 on the Redis server', () => {
  const client = redisAvailable ? newClient() : null;
  afterAll(async () => {
    await client?.quit();
  });
  const hashOnServer = async (message: Buffer) =>
    (await client!.eval(`${SHA256_LUA}\nreturn sha256hex(ARGV[1])`, 0, message)) as string;

  it('matches Node crypto at every padding boundary and on long and binary input', async () => {
    const lengths = [0, 1, 3, 54, 55, 56, 57, 63, 64, 65, 111, 119, 120, 127, 128, 129, 1000, 10_000];
    const messages = [
      ...lengths.map((n) => Buffer.alloc(n, 0x61)),
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      Buffer.from('\u00ff'.repeat(70), 'latin1'),
      randomBytes(4099),
    ];
    for (const message of messages)
      expect(await hashOnServer(message), `${message.length} bytes`).toBe(sha256(message));
  });

  it('matches the published vectors', async () => {
    expect(await hashOnServer(Buffer.from(''))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(await hashOnServer(Buffer.from('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(await hashOnServer(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('computes the audit link exactly as core does', async () => {
    const link = `${SHA256_LUA}\nreturn sha256hex(fromhex(ARGV[1]) .. fromhex(ARGV[2]) .. ARGV[3])`;
    const cases = [
      { prev: '0'.repeat(64), outcome: { success: true, error: null, version: 1 } },
      { prev: sha256(Buffer.from('x')), outcome: { success: false, error: 'not_found', version: null } },
      { prev: sha256(Buffer.from('y')), outcome: { success: false, error: 'tier_exceeded', version: 12 } },
    ];
    for (const { prev, outcome } of cases) {
      const digest = sha256(randomBytes(16));
      const label = `${outcome.success ? '1' : '0'}|${outcome.error ?? ''}|${outcome.version ?? ''}`;
      expect(await client!.eval(link, 0, prev, digest, label)).toBe(auditLink(prev, digest, outcome));
    }
  });
});
