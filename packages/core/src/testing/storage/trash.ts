import { expect, it } from 'vitest';
import { AgentVaultConflictError, AgentVaultNotFoundError } from '../../errors';
import type { SuiteContext } from './context';

export function trashTests(ctx: SuiteContext): void {
  it('moves a deleted secret to the trash: 404 on read, 409 on re-create, back on restore', async () => {
    const { vault, clock } = ctx.setup();
    await vault.setSecret('trash/key', 'value-1');
    await vault.setSecret('trash/key', 'value-2');
    await vault.deleteSecret('trash/key');
    await expect(vault.getSecret('trash/key')).rejects.toBeInstanceOf(AgentVaultNotFoundError);
    await expect(vault.createSecret({ path: 'trash/key', value: 'other' })).rejects.toBeInstanceOf(
      AgentVaultConflictError,
    );
    await expect(vault.setSecret('trash/key', 'other')).rejects.toBeInstanceOf(AgentVaultConflictError);
    await expect(vault.deleteSecret('trash/key')).rejects.toBeInstanceOf(AgentVaultNotFoundError);
    expect((await vault.listSecrets('trash')).total).toBe(0);
    const trashed = await vault.listSecrets('trash', { trashed: true });
    expect(trashed.items.map((i) => i.path)).toEqual(['trash/key']);
    expect(trashed.items[0]?.purgeAt?.getTime()).toBe(clock.now() + 30 * 86_400_000);
    const restored = await vault.restoreSecret('trash/key');
    expect(restored).toMatchObject({ version: 2, trashedAt: null, purgeAt: null });
    expect((await vault.getSecret('trash/key', { version: 1 })).value).toBe('value-1');
    await expect(vault.restoreSecret('trash/key')).rejects.toBeInstanceOf(AgentVaultNotFoundError);
  });

  it('destroys every version on a permanent delete and frees the path', async () => {
    const { vault, backdoor, tenant } = ctx.setup();
    await vault.setSecret('gone/key', 'first');
    await vault.setSecret('gone/key', 'second');
    const before = await backdoor.readVersion({ tenant, path: 'gone/key', version: 1 });
    expect(before).not.toBeNull();
    await vault.deleteSecret('gone/key', { permanent: true });
    expect(await backdoor.readVersion({ tenant, path: 'gone/key', version: 1 })).toBeNull();
    expect(await backdoor.readVersion({ tenant, path: 'gone/key', version: 2 })).toBeNull();
    const dump = await backdoor.dump();
    expect(dump).not.toContain(Buffer.from(before!.ciphertext).toString('base64'));
    expect(dump).not.toContain(Buffer.from(before!.ciphertext).toString('hex'));
    await expect(vault.getSecret('gone/key')).rejects.toBeInstanceOf(AgentVaultNotFoundError);
    await expect(vault.listVersions('gone/key')).rejects.toBeInstanceOf(AgentVaultNotFoundError);
    await vault.createSecret({ path: 'gone/key', value: 'reborn' });
    expect(await vault.getSecret('gone/key')).toMatchObject({ value: 'reborn', version: 1 });
  });

  it('purges a trashed secret with a permanent delete', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('purge/key', 'v');
    await vault.deleteSecret('purge/key');
    await vault.deleteSecret('purge/key', { permanent: true });
    expect((await vault.listSecrets('purge', { trashed: true })).total).toBe(0);
    await expect(vault.deleteSecret('purge/key', { permanent: true })).rejects.toBeInstanceOf(
      AgentVaultNotFoundError,
    );
  });
}
