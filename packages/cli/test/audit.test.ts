/** `audit` with filters, and `--follow` against events made while it runs. */
import { describe, expect, it } from 'vitest';
import { cli, servedVault, startCli, until } from './helpers';

describe('audit', () => {
  it('filters by type, actor, path and outcome; --json carries the events', async () => {
    const { baseUrl, adminKey, admin } = await servedVault();
    await admin.createSecret({ path: 'production/a', value: 'value-a' });
    await admin.createSecret({ path: 'staging/b', value: 'value-b' });
    const token = await admin.requestToken({ scope: 'secrets:read:production/a' });
    const agent = admin.constructor as new (o: object) => typeof admin;
    const asToken = new agent({ agentKey: token.value!, baseUrl, retries: 0 });
    await asToken.getSecret('production/a');
    await asToken.getSecret('staging/b').catch(() => {});
    const as = { key: adminKey, url: baseUrl };

    const reads = await cli(['audit', '--type', 'secret.read', '--actor', `token:${token.id}`], as);
    expect(reads.code).toBe(0);
    const rows = reads.stdout.split('\n').filter((line) => line.includes('secret.read'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/secret\.read\s+│ refused \(permission_denied\)\s+│ token:tok_\w+\s+│ staging\/b/);
    expect(rows[1]).toMatch(/secret\.read\s+│ ok\s+│ token:tok_\w+\s+│ production\/a/);

    const failures = JSON.parse((await cli(['audit', '--failures', '--type', 'secret.read', '--json'], as)).stdout);
    expect(failures.events.map((e: { path: string; success: boolean }) => [e.path, e.success])).toEqual([['staging/b', false]]);
    const ns = JSON.parse((await cli(['audit', '--namespace', 'production', '--order', 'asc', '--json'], as)).stdout);
    expect(ns.events.map((e: { type: string }) => e.type)).toEqual(['secret.create', 'secret.read']);
    const paged = JSON.parse((await cli(['audit', '--limit', '2', '--json'], as)).stdout);
    expect(paged.events).toHaveLength(2);
    expect(paged.nextCursor).toEqual(expect.any(String));
    const conflicting = await cli(['audit', '--success', '--failures'], as);
    expect(conflicting.code).toBe(1);
    for (const run of [reads, conflicting]) expect(run.stdout + run.stderr).not.toMatch(/value-a|value-b/);
  });

  it('--follow prints the latest events, then new ones as they happen, until --max-events', async () => {
    const { baseUrl, adminKey, admin } = await servedVault();
    await admin.createSecret({ path: 'production/old', value: 'old' });
    const child = startCli(['audit', '--follow', '--limit', '1', '--interval', '100', '--max-events', '4'], { key: adminKey, url: baseUrl });
    await until(child, (run) => run.stdout.includes('secret.create'));
    await admin.createSecret({ path: 'production/new', value: 'new' });
    await admin.getSecret('production/new');
    await admin.getSecret('production/missing').catch(() => {});
    const done = await child.done;
    expect(done.code).toBe(0);
    const lines = done.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:]+Z {2}secret\.create\s+ok\s+key:key_\w+ {2}production\/old$/);
    expect(lines[1]).toMatch(/secret\.create\s+ok\s+key:key_\w+ {2}production\/new$/);
    expect(lines[2]).toMatch(/secret\.read\s+ok\s+key:key_\w+ {2}production\/new$/);
    expect(lines[3]).toMatch(/secret\.read\s+refused \(not_found\)\s+key:key_\w+ {2}production\/missing$/);
    expect(done.stdout).not.toContain('audit.read'); // its own polls are hidden
  });

  it('--follow --json prints one event per line from --since, and ends with 0 when terminated', async () => {
    const { baseUrl, adminKey, admin } = await servedVault();
    const start = new Date().toISOString();
    const child = startCli(['audit', '-f', '--json', '--since', start, '--type', 'secret.read', '--interval', '100'], {
      key: adminKey,
      url: baseUrl,
    });
    await admin.setSecret('team/x', 'x');
    for (let i = 0; i < 3; i++) await admin.getSecret('team/x');
    const seen = await until(child, (run) => run.stdout.trim().split('\n').length === 3);
    const events = seen.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(events.map((e) => [e.type, e.path])).toEqual([
      ['secret.read', 'team/x'],
      ['secret.read', 'team/x'],
      ['secret.read', 'team/x'],
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
    child.interrupt(); // SIGTERM
    const done = await child.done;
    expect(done.code).toBe(0);
    expect(done.stdout.trim().split('\n')).toHaveLength(3);
  });
});
