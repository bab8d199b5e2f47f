import { expect, it } from 'vitest';
import { AgentVaultValidationError } from '../../errors';
import type { SuiteContext } from './context';

export function listingTests(ctx: SuiteContext): void {
  it('lists a namespace on segment boundaries only, ordered by path', async () => {
    const { vault } = ctx.setup();
    for (const path of ['prod/b', 'prod/a/x', 'production/y', 'prod', 'prod-other/z', 'prod/a', 'pro/d']) {
      await vault.setSecret(path, `value of ${path}`);
    }
    const prod = await vault.listSecrets('prod');
    expect(prod.items.map((i) => i.path)).toEqual(['prod/a', 'prod/a/x', 'prod/b']);
    expect(prod.total).toBe(3);
    expect((await vault.listSecrets('prod/a')).items.map((i) => i.path)).toEqual(['prod/a/x']);
    expect((await vault.listSecrets('')).items.map((i) => i.path)).toEqual([
      'pro/d',
      'prod',
      'prod-other/z',
      'prod/a',
      'prod/a/x',
      'prod/b',
      'production/y',
    ]);
  });

  it('never returns values in a listing', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('list/secret', 'do-not-list-this-value');
    const page = await vault.listSecrets('list');
    expect(page.items[0]).not.toHaveProperty('value');
    expect(JSON.stringify(page)).not.toContain('do-not-list-this-value');
  });

  it('pages with an opaque cursor, a total and no repeats', async () => {
    const { vault } = ctx.setup();
    const paths = Array.from({ length: 7 }, (_, i) => `page/item-${i}`);
    for (const path of paths) await vault.setSecret(path, 'v');
    const seen: string[] = [];
    let cursor: string | null | undefined;
    let pages = 0;
    do {
      const page = await vault.listSecrets('page', { limit: 3, cursor });
      expect(page.total).toBe(7);
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((i) => i.path));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(paths);
    expect(pages).toBe(3);
    await expect(vault.listSecrets('page', { cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(
      AgentVaultValidationError,
    );
    await expect(
      vault.listSecrets('other', { cursor: (await vault.listSecrets('page', { limit: 1 })).nextCursor }),
    ).rejects.toBeInstanceOf(AgentVaultValidationError);
    await expect(vault.listSecrets('page', { limit: 201 })).rejects.toBeInstanceOf(AgentVaultValidationError);
  });

  it('neither skips nor repeats a path while other paths are written during the walk', async () => {
    const { vault } = ctx.setup();
    const stable = Array.from({ length: 40 }, (_, i) => `walk/s-${String(i).padStart(3, '0')}`);
    for (const path of stable) await vault.setSecret(path, 'v');
    const seen: string[] = [];
    let cursor: string | null | undefined;
    let round = 0;
    do {
      const page = await vault.listSecrets('walk', { limit: 7, cursor });
      seen.push(...page.items.map((i) => i.path));
      cursor = page.nextCursor;
      // Writes before and after the cursor, and a delete of a path not in `stable`.
      await vault.setSecret(`walk/a-${round}`, 'v');
      await vault.setSecret(`walk/z-${round}`, 'v');
      await vault.setSecret(`walk/s-${String(round).padStart(3, '0')}-new`, 'v');
      if (round > 0) await vault.deleteSecret(`walk/z-${round - 1}`, { permanent: true });
      round++;
    } while (cursor);
    const stableSeen = seen.filter((p) => stable.includes(p));
    expect(stableSeen).toEqual(stable);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('filters by tier, type and tags', async () => {
    const { vault } = ctx.setup();
    await vault.createSecret({
      path: 'f/one',
      value: 'v',
      tier: 'critical',
      type: 'db_credential',
      tags: { team: 'a', env: 'prod' },
    });
    await vault.createSecret({
      path: 'f/two',
      value: 'v',
      tier: 'sensitive',
      type: 'api_key',
      tags: { team: 'a' },
    });
    await vault.createSecret({ path: 'f/three', value: 'v', type: 'api_key', tags: { team: 'b' } });
    const paths = async (options: Parameters<typeof vault.listSecrets>[1]) =>
      (await vault.listSecrets('f', options)).items.map((i) => i.path);
    expect(await paths({ tier: 'critical' })).toEqual(['f/one']);
    expect(await paths({ tier: ['critical', 'sensitive'] })).toEqual(['f/one', 'f/two']);
    expect(await paths({ type: 'api_key' })).toEqual(['f/three', 'f/two']);
    expect(await paths({ tags: { team: 'a' } })).toEqual(['f/one', 'f/two']);
    expect(await paths({ tags: { team: 'a', env: 'prod' } })).toEqual(['f/one']);
    expect((await vault.listSecrets('f', { type: 'api_key', tags: { team: 'b' } })).total).toBe(1);
  });

  it('keeps a tag filter right as tags change, secrets move to the trash and are destroyed, and pages it', async () => {
    const { vault } = ctx.setup();
    for (let i = 0; i < 7; i++) {
      await vault.createSecret({ path: `tg/s-${i}`, value: 'v', tags: { team: i % 2 ? 'odd' : 'even' } });
    }
    await vault.createSecret({ path: 'tg-other/x', value: 'v', tags: { team: 'even' } });
    const paths = async (tags: Record<string, string>, trashed = false) =>
      (await vault.listSecrets('tg', { tags, trashed })).items.map((i) => i.path);
    expect(await paths({ team: 'even' })).toEqual(['tg/s-0', 'tg/s-2', 'tg/s-4', 'tg/s-6']);
    await vault.updateSecret('tg/s-0', { tags: { team: 'odd', pinned: 'yes' } });
    await vault.deleteSecret('tg/s-2');
    await vault.deleteSecret('tg/s-4', { permanent: true });
    expect(await paths({ team: 'even' })).toEqual(['tg/s-6']);
    expect(await paths({ team: 'even' }, true)).toEqual(['tg/s-2']);
    expect(await paths({ team: 'odd', pinned: 'yes' })).toEqual(['tg/s-0']);
    expect(await paths({ team: 'odd' })).toEqual(['tg/s-0', 'tg/s-1', 'tg/s-3', 'tg/s-5']);
    const first = await vault.listSecrets('tg', { tags: { team: 'odd' }, limit: 3 });
    expect([first.items.length, first.total]).toEqual([3, 4]);
    const rest = await vault.listSecrets('tg', { tags: { team: 'odd' }, limit: 3, cursor: first.nextCursor });
    expect(rest.items.map((i) => i.path)).toEqual(['tg/s-5']);
    expect((await vault.listSecrets('', { tags: { team: 'even' } })).items.map((i) => i.path)).toEqual(['tg-other/x', 'tg/s-6']);
  });
}
