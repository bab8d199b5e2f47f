import { expect, it } from 'vitest';
import type { VersionRecord } from '../../contracts/records';
import { AgentVaultIntegrityError } from '../../errors';
import type { Secret } from '../../vault/views';
import type { Harness, SuiteContext } from './context';

/** Reading must fail with an integrity error; anything else — above all another secret's plaintext — fails the test. */
async function expectIntegrityFailure(read: Promise<Secret>, forbidden: string[]): Promise<void> {
  const outcome = await read.then(
    (secret) => ({ ok: true as const, value: secret.value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) {
    expect(forbidden, 'tampered read returned a value').not.toContain(outcome.value);
    expect.fail('a tampered read returned a value instead of an integrity error');
  }
  expect(outcome.error).toBeInstanceOf(AgentVaultIntegrityError);
}

function flip(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[index % copy.length]! ^= 0x01;
  return copy;
}

async function rows(h: Harness, path: string, version: number): Promise<VersionRecord> {
  const row = await h.backdoor.readVersion({ tenant: h.tenant, path, version });
  if (!row) throw new Error(`no stored row for ${path} v${version}`);
  return row;
}

export function tamperTests(ctx: SuiteContext): void {
  it('fails with an integrity error when ciphertext and wrapped key move to another secret', async () => {
    const h = ctx.setup();
    await h.vault.setSecret('tamper/a', 'plaintext-of-a');
    await h.vault.setSecret('tamper/b', 'plaintext-of-b');
    const a = await rows(h, 'tamper/a', 1);
    const b = await rows(h, 'tamper/b', 1);
    await h.backdoor.writeVersion({ ...b, ciphertext: a.ciphertext, wrappedKey: a.wrappedKey });
    await h.backdoor.writeVersion({ ...a, ciphertext: b.ciphertext, wrappedKey: b.wrappedKey });
    await expectIntegrityFailure(h.vault.getSecret('tamper/a'), ['plaintext-of-b']);
    await expectIntegrityFailure(h.vault.getSecret('tamper/b'), ['plaintext-of-a']);
    // Only the ciphertext moved (the data key stays): still refused.
    await h.backdoor.writeVersion({ ...b, ciphertext: a.ciphertext });
    await expectIntegrityFailure(h.vault.getSecret('tamper/b'), ['plaintext-of-a']);
  });

  it('fails with an integrity error when versions of one secret swap places', async () => {
    const h = ctx.setup();
    await h.vault.setSecret('tamper/v', 'version-one');
    await h.vault.setSecret('tamper/v', 'version-two');
    const one = await rows(h, 'tamper/v', 1);
    const two = await rows(h, 'tamper/v', 2);
    await h.backdoor.writeVersion({ ...two, ciphertext: one.ciphertext, wrappedKey: one.wrappedKey });
    await expectIntegrityFailure(h.vault.getSecret('tamper/v'), ['version-one']);
    await h.backdoor.writeVersion({ ...one, ciphertext: two.ciphertext, wrappedKey: two.wrappedKey });
    await expectIntegrityFailure(h.vault.getSecret('tamper/v', { version: 1 }), ['version-two']);
  });

  it('fails with an integrity error when a row moves to another tenant', async () => {
    const a = ctx.setup();
    const b = ctx.setup({ keys: a.keys });
    await a.vault.setSecret('tamper/t', 'tenant-a-plaintext');
    await b.vault.setSecret('tamper/t', 'tenant-b-plaintext');
    const rowA = await rows(a, 'tamper/t', 1);
    const rowB = await rows(b, 'tamper/t', 1);
    await b.backdoor.writeVersion({ ...rowB, ciphertext: rowA.ciphertext, wrappedKey: rowA.wrappedKey });
    await expectIntegrityFailure(b.vault.getSecret('tamper/t'), ['tenant-a-plaintext']);
  });

  it('fails with an integrity error on flipped bits and truncation, cold or warm', async () => {
    const h = ctx.setup();
    await h.vault.setSecret('tamper/bits', 'bit-flip-plaintext');
    const row = await rows(h, 'tamper/bits', 1);
    for (const index of [0, 5, 20, row.ciphertext.length - 1]) {
      await h.backdoor.writeVersion({ ...row, ciphertext: flip(row.ciphertext, index) });
      await expectIntegrityFailure(h.vault.getSecret('tamper/bits'), []);
    }
    await h.backdoor.writeVersion({
      ...row,
      ciphertext: row.ciphertext.subarray(0, row.ciphertext.length - 4),
    });
    await expectIntegrityFailure(h.vault.getSecret('tamper/bits'), []);
    for (const index of [3, 30]) {
      h.vault.clearCaches();
      await h.backdoor.writeVersion({
        ...row,
        wrappedKey: { ...row.wrappedKey, ciphertext: flip(row.wrappedKey.ciphertext, index) },
      });
      await expectIntegrityFailure(h.vault.getSecret('tamper/bits'), []);
    }
    await h.backdoor.writeVersion(row);
    expect((await h.vault.getSecret('tamper/bits')).value).toBe('bit-flip-plaintext');
  });
}
