/** The secret endpoints, replayed as the seed's REST reference shows them. */
import { expect, it } from 'vitest';
import {
  rotateResultWire,
  secretListWire,
  secretMetadataWire,
  secretVersionsWire,
  secretWire,
} from '../../../src/http/wire/responses';
import { enc } from '../support/world';
import { type ContractContext, expectError, expectWire } from './context';

const KEY = 'production/openai/api-key';

export function secretContract(ctx: ContractContext): void {
  it('creates, reads, updates and lists a secret with the seed’s bodies', async () => {
    const w = await ctx.world();
    const api = w.api(w.admin);
    const created = await api.request('POST', '/secrets', {
      json: {
        path: KEY,
        value: 'sk-proj-abc123',
        tier: 'sensitive',
        description: 'OpenAI production key',
        tags: { team: 'ml', env: 'prod' },
      },
    });
    expect(created.status).toBe(201);
    expect(expectWire(secretMetadataWire, created)).toMatchObject({
      path: KEY,
      version: 1,
      tier: 'sensitive',
      created_at: new Date(w.clock.now()).toISOString(),
    });
    expect(created.text).not.toContain('sk-proj-abc123');

    w.clock.advanceSeconds(60);
    const read = await api.request('GET', `/secrets/${enc(KEY)}`);
    expect(read.status).toBe(200);
    expect(expectWire(secretWire, read)).toMatchObject({
      path: KEY,
      value: 'sk-proj-abc123',
      version: 1,
      tier: 'sensitive',
      description: 'OpenAI production key',
      tags: { team: 'ml', env: 'prod' },
      accessed_at: new Date(w.clock.now()).toISOString(),
      expires_at: null,
    });
    expect(read.headers.get('cache-control')).toBe('no-store');

    const updated = await api.request('PUT', `/secrets/${enc(KEY)}`, {
      json: {
        value: 'sk-proj-updated456',
        tier: 'sensitive',
        description: 'Updated OpenAI key',
        tags: { team: 'ml', env: 'prod', rotated: 'true' },
      },
    });
    expect(updated.status).toBe(200);
    expect(expectWire(secretMetadataWire, updated)).toMatchObject({
      path: KEY,
      version: 2,
      updated_at: new Date(w.clock.now()).toISOString(),
    });
    expect((await api.request('GET', `/secrets/${enc(KEY)}`)).body.value).toBe('sk-proj-updated456');
    for (const version of ['1', 'v1']) {
      const old = await api.request('GET', `/secrets/${enc(KEY)}?version=${version}`);
      expect({ status: old.status, value: old.body.value, version: old.body.version }).toEqual({
        status: 200,
        value: 'sk-proj-abc123',
        version: 1,
      });
    }

    await api.request('POST', '/secrets', { json: { path: 'production/stripe/api-key', value: 'sk_live' } });
    await api.request('POST', '/secrets', { json: { path: 'production/openai-evil/x', value: 'x' } });
    const listed = await api.request('GET', `/secrets?namespace=${enc('production/openai')}&limit=50`);
    expect(listed.status).toBe(200);
    expect(expectWire(secretListWire, listed)).toMatchObject({
      items: [{ path: KEY, version: 2, tier: 'sensitive' }],
      total: 1,
      next_cursor: null,
    });
    expect(listed.text).not.toContain('sk-proj');
  });

  it('pages a listing with next_cursor and filters by repeated tier parameters', async () => {
    const w = await ctx.world();
    const api = w.api(w.admin);
    for (const [name, tier] of [
      ['a', 'standard'],
      ['b', 'critical'],
      ['c', 'standard'],
      ['d', 'sensitive'],
    ] as const) {
      await api.request('POST', '/secrets', { json: { path: `team/${name}`, value: name, tier } });
    }
    const first = await api.request('GET', '/secrets?namespace=team&limit=2');
    expect(first.body.items.map((s: { path: string }) => s.path)).toEqual(['team/a', 'team/b']);
    expect(first.body.total).toBe(4);
    const second = await api.request(
      'GET',
      `/secrets?namespace=team&limit=2&cursor=${first.body.next_cursor}`,
    );
    expect(second.body.items.map((s: { path: string }) => s.path)).toEqual(['team/c', 'team/d']);
    expect(second.body.next_cursor).toBeNull();
    const filtered = await api.request('GET', '/secrets?namespace=team&tier=critical&tier=sensitive');
    expect(filtered.body.items.map((s: { path: string }) => s.path)).toEqual(['team/b', 'team/d']);
  });

  it('filters a listing by repeated tag=key:value (all must match), documented in OpenAPI', async () => {
    const w = await ctx.world();
    const api = w.api(w.admin);
    const put = (path: string, tags: Record<string, string>) =>
      api.request('POST', '/secrets', { json: { path, value: 'v', tags } });
    await put('tags/one', { team: 'ml', env: 'prod' });
    await put('tags/two', { team: 'ml', env: 'staging' });
    await put('tags/three', { team: 'web', env: 'prod' });
    await put('tags/four', { provider: 'github', scopes: 'repo,read:org' });
    const paths = async (query: string) => {
      const reply = await api.request('GET', `/secrets?namespace=tags&${query}`);
      expect(reply.status).toBe(200);
      return (expectWire(secretListWire, reply).items as { path: string }[]).map((i) => i.path);
    };
    expect(await paths('tag=team:ml')).toEqual(['tags/one', 'tags/two']);
    expect(await paths('tag=team:ml&tag=env:prod')).toEqual(['tags/one']);
    expect(await paths(`tag=${encodeURIComponent('scopes:repo,read:org')}`)).toEqual(['tags/four']);
    expect(await paths('tag=team:nobody')).toEqual([]);
    expect((await api.request('GET', '/secrets?namespace=tags&tag=team:ml&limit=1')).body.total).toBe(2);
    for (const bad of ['tag=team', 'tag=:ml', 'tag=team:ml&tag=team:web', 'tags[team]=ml']) {
      expectError(await api.request('GET', `/secrets?namespace=tags&${bad}`), 422, 'validation_error');
    }
    const doc = (await w.api(null).request('GET', '/openapi.json')).body;
    const tag = (doc.paths['/secrets'].get.parameters as { name: string; schema: { description?: string } }[]).find(
      (p) => p.name === 'tag',
    );
    expect(tag?.schema.description).toContain('key:value');
  });

  it('answers 409 for an existing path, 404 for a missing one, 409 for a stale expected_version', async () => {
    const w = await ctx.world();
    const api = w.api(w.admin);
    await api.request('POST', '/secrets', { json: { path: KEY, value: 'v1' } });
    expectError(await api.request('POST', '/secrets', { json: { path: KEY, value: 'v2' } }), 409, 'conflict');
    const missing = expectError(
      await api.request('GET', `/secrets/${enc('production/none')}`),
      404,
      'not_found',
    );
    expect(missing.path).toBe('production/none');
    expectError(
      await api.request('PUT', `/secrets/${enc('production/none')}`, { json: { value: 'x' } }),
      404,
      'not_found',
    );
    await api.request('PUT', `/secrets/${enc(KEY)}`, { json: { value: 'v2' } });
    expectError(
      await api.request('PUT', `/secrets/${enc(KEY)}`, { json: { value: 'v3', expected_version: 1 } }),
      409,
      'conflict',
    );
    expect(
      (await api.request('PUT', `/secrets/${enc(KEY)}`, { json: { value: 'v3', expected_version: 2 } })).body
        .version,
    ).toBe(3);
  });

  it('rotates with a grace period: the old version answers 410 once it ends', async () => {
    const w = await ctx.world();
    const api = w.api(w.admin);
    await api.request('POST', '/secrets', { json: { path: KEY, value: 'sk-old' } });
    const rotated = await api.request('POST', `/secrets/${enc(KEY)}/rotate`, {
      json: { new_value: 'sk-rotated789', grace_period_seconds: 300 },
    });
    expect(rotated.status).toBe(200);
    expect(expectWire(rotateResultWire, rotated)).toEqual({
      path: KEY,
      old_version: 1,
      new_version: 2,
      old_expires_at: new Date(w.clock.now() + 300_000).toISOString(),
    });
    expect((await api.request('GET', `/secrets/${enc(KEY)}`)).body.value).toBe('sk-rotated789');
    expect((await api.request('GET', `/secrets/${enc(KEY)}?version=1`)).body.value).toBe('sk-old');
    w.clock.advanceSeconds(301);
    expectError(await api.request('GET', `/secrets/${enc(KEY)}?version=1`), 410, 'gone');
  });

  it('answers 410 for an expired secret, which stays listable and can be extended', async () => {
    const w = await ctx.world();
    const api = w.api(w.admin);
    const expiresAt = new Date(w.clock.now() + 60_000).toISOString();
    await api.request('POST', '/secrets', { json: { path: KEY, value: 'v', expires_at: expiresAt } });
    w.clock.advanceSeconds(61);
    expectError(await api.request('GET', `/secrets/${enc(KEY)}`), 410, 'gone');
    expect((await api.request('GET', '/secrets?namespace=production')).body.items).toHaveLength(1);
    const extended = await api.request('PUT', `/secrets/${enc(KEY)}`, { json: { expires_in_days: 30 } });
    expect(extended.body.version).toBe(1);
    expect((await api.request('GET', `/secrets/${enc(KEY)}`)).status).toBe(200);
  });

  it('deletes to the trash (204), restores, and destroys with ?permanent=true', async () => {
    const w = await ctx.world();
    const api = w.api(w.admin);
    await api.request('POST', '/secrets', { json: { path: 'staging/openai/test-key', value: 'x' } });
    const deleted = await api.request('DELETE', `/secrets/${enc('staging/openai/test-key')}`);
    expect({ status: deleted.status, text: deleted.text }).toEqual({ status: 204, text: '' });
    expect(deleted.headers.get('x-ratelimit-limit')).not.toBeNull();
    expectError(await api.request('GET', `/secrets/${enc('staging/openai/test-key')}`), 404, 'not_found');
    expectError(
      await api.request('POST', '/secrets', { json: { path: 'staging/openai/test-key', value: 'y' } }),
      409,
      'conflict',
    );
    const trash = await api.request('GET', '/secrets?namespace=staging&trashed=true');
    expect(trash.body.items[0].trashed_at).not.toBeNull();

    const restored = await api.request('POST', `/secrets/${enc('staging/openai/test-key')}/restore`);
    expect(restored.status).toBe(200);
    expect(expectWire(secretMetadataWire, restored).trashed_at).toBeNull();
    expect((await api.request('GET', `/secrets/${enc('staging/openai/test-key')}`)).body.value).toBe('x');

    const destroyed = await api.request(
      'DELETE',
      `/secrets/${enc('staging/openai/test-key')}?permanent=true`,
    );
    expect(destroyed.status).toBe(204);
    expect(
      (await api.request('POST', '/secrets', { json: { path: 'staging/openai/test-key', value: 'new' } }))
        .status,
    ).toBe(201);
  });

  it('lists versions and rolls back to an earlier one', async () => {
    const w = await ctx.world();
    const api = w.api(w.admin);
    await api.request('POST', '/secrets', { json: { path: KEY, value: 'one' } });
    await api.request('PUT', `/secrets/${enc(KEY)}`, { json: { value: 'two' } });
    const versions = await api.request('GET', `/secrets/${enc(KEY)}/versions`);
    expect(versions.status).toBe(200);
    expect(expectWire(secretVersionsWire, versions).versions.map((v) => [v.version, v.is_active])).toEqual([
      [1, false],
      [2, true],
    ]);
    const rolledBack = await api.request('POST', `/secrets/${enc(KEY)}/rollback`, {
      json: { version: 'v1' },
    });
    expect(expectWire(secretMetadataWire, rolledBack)).toMatchObject({ version: 1, latest_version: 2 });
    expect((await api.request('GET', `/secrets/${enc(KEY)}`)).body.value).toBe('one');
  });

  it('imports a .env file, reporting a malformed one by line and importing nothing', async () => {
    const w = await ctx.world();
    const api = w.api(w.admin);
    const dry = await api.request('POST', '/import', {
      json: { env: 'OPENAI_KEY=sk-1\n', namespace: 'production', dry_run: true },
    });
    expect(dry.body).toEqual({
      created: [{ path: 'production/OPENAI_KEY', tier: 'standard', line: 1 }],
      updated: [],
      skipped: [],
      dry_run: true,
      counts: { created: 1, updated: 0, skipped: 0 },
      secrets: [{ path: 'production/OPENAI_KEY', tier: 'standard', line: 1, outcome: 'created' }],
    });
    const imported = await api.request('POST', '/import', {
      json: {
        env: 'OPENAI_KEY=sk-1\nDB_URL="postgres://u:p@h/db"\n',
        namespace: 'production',
        tier_by_prefix: { DB_: 'critical' },
      },
    });
    expect(imported.status).toBe(200);
    expect(imported.body.created).toEqual([
      { path: 'production/OPENAI_KEY', tier: 'standard', line: 1 },
      { path: 'production/DB_URL', tier: 'critical', line: 2 },
    ]);
    // The seed's shape: counts, the imported secrets, and skipped ones with the tier already stored.
    const rerun = await api.request('POST', '/import', {
      json: { env: 'NEW_KEY=x\nDB_URL=y\n', namespace: 'production', tier: 'sensitive' },
    });
    expect(rerun.status).toBe(200);
    expect(rerun.body).toMatchObject({
      counts: { created: 1, updated: 0, skipped: 1 },
      secrets: [{ path: 'production/NEW_KEY', tier: 'sensitive', line: 1, outcome: 'created' }],
      skipped: [{ path: 'production/DB_URL', tier: 'critical', line: 2, reason: 'exists' }],
    });
    const again = await api.request('POST', '/import', {
      json: { env: 'OPENAI_KEY=sk-2\nnot a line\n', namespace: 'production' },
    });
    const error = expectError(again, 422, 'validation_error');
    expect(error.issues).toEqual([
      { path: ['line', 2], field: 'line.2', message: 'line 2: expected KEY=VALUE' },
    ]);
    expect(again.text).not.toContain('sk-2');
    expect((await api.request('GET', `/secrets/${enc('production/OPENAI_KEY')}`)).body.value).toBe('sk-1');
  });
}
