/** `agentvault keygen`: a key the local keyring takes as AGENTVAULT_LOCAL_KEK, alone or in a ring. */
import { randomBytes } from 'node:crypto';
import { localKeyring } from '@agentvault/kms-local';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../src/errors';
import { cli } from './helpers';

const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;

async function roundTrips(kek: string): Promise<string> {
  const ring = localKeyring({ env: { AGENTVAULT_LOCAL_KEK: kek } });
  const dataKey = randomBytes(32);
  const context = { tenant: 't', path: 'a/b', version: '1' };
  const wrapped = await ring.wrap(dataKey, context);
  expect(Buffer.from(await ring.unwrap(wrapped, context)).equals(dataKey)).toBe(true);
  return ring.currentKeyId();
}

describe('keygen', () => {
  it('prints only a new base64 256-bit key on stdout, which the local keyring takes under the id on stderr', async () => {
    const run = await cli(['keygen']);
    expect(run.code).toBe(0);
    const key = run.stdout.trim();
    expect(run.stdout).toBe(`${key}\n`);
    expect(key).toMatch(BASE64_KEY);
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    const id = /\(id (kek-[0-9a-f]{12})\)/.exec(run.stderr)?.[1];
    expect(await roundTrips(key)).toBe(id);
    expect((await cli(['keygen'])).stdout).not.toBe(run.stdout);
  });

  it('--id names the key (<id>:<key>), the form a ring of several keys takes, current first', async () => {
    const older = (await cli(['keygen', '--id', 'k1'])).stdout.trim();
    const run = await cli(['keygen', '--id', 'k2']);
    expect(run.stdout).toMatch(/^k2:[A-Za-z0-9+/]{43}=\n$/);
    expect(await roundTrips(run.stdout.trim())).toBe('k2');
    expect(localKeyring({ env: { AGENTVAULT_LOCAL_KEK: `${run.stdout.trim()},${older}` } }).keyIds()).toEqual(['k2', 'k1']);
  });

  it('--json gives the key, its id and the variable to set', async () => {
    const run = await cli(['keygen', '--id', 'prod-2026', '--json']);
    const out = JSON.parse(run.stdout) as { keyId: string; key: string; env: { AGENTVAULT_LOCAL_KEK: string } };
    expect(out.keyId).toBe('prod-2026');
    expect(out.key).toMatch(BASE64_KEY);
    expect(out.env.AGENTVAULT_LOCAL_KEK).toBe(`prod-2026:${out.key}`);
    expect(run.stderr).toBe('');
  });

  it('refuses an id the keyring would refuse, with exit 1 and nothing on stdout', async () => {
    for (const id of ['has space', 'a:b', 'x'.repeat(65)]) {
      const run = await cli(['keygen', '--id', id]);
      expect(run.code).toBe(EXIT_CODES.usage);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('1 to 64 of A-Z a-z 0-9 . _ -');
    }
  });
});
