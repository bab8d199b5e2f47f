/** `import` with the seed's semantics (small and batched) and the `export` → `import` round trip. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../src/errors';
import { cli, servedVault } from './helpers';

async function envFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'agentvault-import-'));
  const file = join(dir, '.env');
  await writeFile(file, text);
  return file;
}

const SEED_ENV = [
  '# production settings',
  'DB_URL=postgresql://user:pass@host:5432/db',
  'DB_REPLICA_URL="postgresql://ro@replica/db"',
  'STRIPE_SECRET_KEY=sk_live_123',
  'OPENAI_API_KEY=\'sk-proj-abc\'',
  'export LOG_LEVEL=debug # a comment',
  '',
].join('\n');

describe('import', () => {
  it('imports a file under a namespace with tiers by prefix, skips existing ones, and --overwrite updates them', async () => {
    const { baseUrl, adminKey, admin } = await servedVault();
    const as = { key: adminKey, url: baseUrl };
    const file = await envFile(SEED_ENV);
    const args = ['import', file, '--namespace', 'production', '--tier', 'standard', '--tier-prefix', 'DB_=critical', '--tier-prefix', 'STRIPE_=sensitive', '--tier-prefix', 'DB_REPLICA_=sensitive'];

    const dry = await cli([...args, '--dry-run'], as);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Dry run into namespace production: nothing was written');
    expect(dry.stdout).toMatch(/would create\s+│ 5 /);
    expect((await admin.listSecrets('production')).total).toBe(0);

    const first = await cli(args, as);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/created\s+│ 5 \s+│ production\/DB_URL, production\/DB_REPLICA_URL/);
    const tiers = Object.fromEntries((await admin.listSecrets('production')).items.map((m) => [m.path, m.tier]));
    expect(tiers).toEqual({
      'production/DB_URL': 'critical',
      'production/DB_REPLICA_URL': 'sensitive',
      'production/STRIPE_SECRET_KEY': 'sensitive',
      'production/OPENAI_API_KEY': 'standard',
      'production/LOG_LEVEL': 'standard',
    });
    expect((await admin.getSecret('production/DB_URL')).value).toBe('postgresql://user:pass@host:5432/db');
    for (const value of ['postgresql://user:pass', 'sk_live_123', 'sk-proj-abc']) expect(first.stdout + first.stderr).not.toContain(value);

    expect(first.stdout).toContain('Imported 5 secrets into namespace production (5 created, 0 updated), skipped 0');
    expect(first.stdout).toMatch(/production\/DB_URL\s+│ critical\s+│ created/);

    const again = await cli([...args, '--json'], as);
    expect(JSON.parse(again.stdout)).toMatchObject({ counts: { created: 0, updated: 0, skipped: 5 }, dryRun: false });
    // A skipped entry reports the tier stored, not the one this run asked for.
    const retiered = await cli(['import', file, '-n', 'production', '--tier', 'critical', '--json'], as);
    const skippedTiers = Object.fromEntries(
      (JSON.parse(retiered.stdout).skipped as { path: string; tier: string }[]).map((s) => [s.path, s.tier]),
    );
    expect(skippedTiers).toMatchObject({ 'production/OPENAI_API_KEY': 'standard', 'production/DB_URL': 'critical' });
    expect(JSON.parse(retiered.stdout).secrets).toEqual([]);
    await writeFile(file, 'DB_URL=postgresql://new@host/db\n');
    const overwrite = await cli(['import', file, '-n', 'production', '--overwrite', '--json'], as);
    expect(JSON.parse(overwrite.stdout)).toMatchObject({ counts: { updated: 1 }, updated: [{ path: 'production/DB_URL', line: 1 }] });
    expect((await admin.getSecret('production/DB_URL')).value).toBe('postgresql://new@host/db');
    // Without --tier the overwrite keeps the stored tier; the flags apply when given.
    expect(JSON.parse(overwrite.stdout).updated[0].tier).toBe('critical');
    expect((await admin.getSecret('production/DB_URL')).tier).toBe('critical');
    await writeFile(file, 'DB_URL=postgresql://newer@host/db\nNEW_KEY=sk-new\n');
    expect((await cli(['import', file, '-n', 'production', '--overwrite', '--tier', 'sensitive', '--type', 'api_key'], as)).code).toBe(0);
    for (const path of ['production/DB_URL', 'production/NEW_KEY']) {
      expect(await admin.getSecret(path)).toMatchObject({ tier: 'sensitive', type: 'api_key' });
    }
  });

  it('reads stdin (- or nothing), and writes nothing when a line is malformed (exit 1, the line named, not its content)', async () => {
    const { baseUrl, adminKey, admin } = await servedVault();
    const as = { key: adminKey, url: baseUrl };
    expect((await cli(['import', '-', '-n', 'staging'], { ...as, input: 'A=1\nB=2\n' })).code).toBe(0);
    expect((await cli(['import', '--namespace', 'staging2'], { ...as, input: 'C=3\n' })).code).toBe(0);
    expect((await admin.listSecrets('')).total).toBe(3);

    const bad = await cli(['import', '-n', 'broken'], { ...as, input: 'OK=1\nthis line hides s3cr3t\nALSO=2\n' });
    expect(bad.code).toBe(EXIT_CODES.usage);
    expect(bad.stderr).toContain('line 2: expected KEY=VALUE');
    expect(bad.stderr).not.toContain('s3cr3t');
    expect((await admin.listSecrets('broken')).total).toBe(0);
  });

  it('sends a large file in batches (multi-line values intact, last assignment wins, lines mapped back)', async () => {
    const { baseUrl, adminKey, admin, vault } = await servedVault();
    const as = { key: adminKey, url: baseUrl };
    const lines: string[] = ['# generated'];
    const expected: Record<string, string> = {};
    for (let i = 0; i < 450; i++) {
      if (i % 50 === 7) {
        lines.push(`KEY_${i}="first line`, `KEY_${i + 1000}=inside the value`, 'last line"');
        expected[`KEY_${i}`] = `first line\nKEY_${i + 1000}=inside the value\nlast line`;
      } else {
        lines.push(`KEY_${i}=value-${i}`);
        expected[`KEY_${i}`] = `value-${i}`;
      }
    }
    lines.push('KEY_3=last wins');
    expected.KEY_3 = 'last wins';
    const file = await envFile(lines.join('\n'));

    const dry = JSON.parse((await cli(['import', file, '-n', 'big', '--batch-size', '100', '--dry-run', '--json'], as)).stdout);
    expect(dry.counts).toEqual({ created: 450, updated: 0, skipped: 0 });
    expect(dry.created.find((c: { path: string }) => c.path === 'big/KEY_3').line).toBe(lines.length);
    expect((await admin.listSecrets('big')).total).toBe(0);

    const run = await cli(['import', file, '-n', 'big', '--batch-size', '100', '--json'], as);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).counts).toEqual({ created: 450, updated: 0, skipped: 0 });
    for (const [key, value] of Object.entries(expected)) expect((await vault.getSecret(`big/${key}`)).value, key).toBe(value);
    const imports = await admin.queryAudit({ type: 'secret.import', limit: 100 });
    expect(imports.events.filter((e) => e.details.dryRun === false)).toHaveLength(5);

    // A bad line in the fourth batch: every batch is checked before any is written.
    const broken = [...lines.slice(0, 400), 'not an assignment', ...lines.slice(400)];
    await writeFile(file, broken.join('\n'));
    const refused = await cli(['import', file, '-n', 'big2', '--batch-size', '100'], as);
    expect(refused.code).toBe(EXIT_CODES.usage);
    expect(refused.stderr).toContain('line 401: expected KEY=VALUE');
    expect((await admin.listSecrets('big2')).total).toBe(0);
  });

  it('refuses a path the key may not write before writing any batch (exit 3)', async () => {
    const { baseUrl, admin } = await servedVault();
    const token = await admin.requestToken({ scope: 'secrets:write:team/*' });
    const input = Array.from({ length: 30 }, (_, i) => `K${i}=v${i}`).join('\n');
    const ok = await cli(['import', '-n', 'team', '--batch-size', '10'], { key: token.value!, url: baseUrl, input });
    expect(ok.code).toBe(0);
    const refused = await cli(['import', '-n', 'other', '--batch-size', '10'], { key: token.value!, url: baseUrl, input });
    expect(refused.code).toBe(EXIT_CODES.permissionDenied);
    expect((await admin.listSecrets('other')).total).toBe(0);
  });
});

describe('export', () => {
  it('round-trips through import: newlines, quotes, #, =, unicode, backslashes, spaces, empty', async () => {
    const { baseUrl, adminKey, admin } = await servedVault();
    const as = { key: adminKey, url: baseUrl };
    const values: Record<string, string> = {
      MULTILINE: '-----BEGIN KEY-----\nMIIBOgIBAAJBAK\n-----END KEY-----\n',
      QUOTES: 'he said "it\'s fine"',
      DOUBLE_AND_BACKTICK: 'a"b`c',
      HASH: 'pass#word # with a comment-like tail',
      EQUALS: 'k=v&x==y',
      UNICODE: 'pässwörd ✓ 密码 🔑',
      BACKSLASH_TEXT: 'C:\\new\\table and \\n literally',
      SPACES: '  padded  ',
      EMPTY: '',
      CARRIAGE: 'a\rb',
      DOLLAR: '${HOME} $PATH',
    };
    for (const [key, value] of Object.entries(values)) await admin.setSecret(`production/${key}`, value);
    await admin.setSecret('production/nested/deeper', 'left out');

    const exported = await cli(['export', 'production'], as);
    expect(exported.stderr.split('\n')[0]).not.toMatch(/agentvault:/);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/^# agentvault export of namespace production/);
    expect(exported.stderr).toContain('Left out 1 secret(s) below a sub-namespace (export that namespace): production/nested/deeper');
    const imported = await cli(['import', '-n', 'copy', '--json'], { ...as, input: exported.stdout });
    expect(JSON.parse(imported.stdout).counts.created).toBe(Object.keys(values).length);
    for (const [key, value] of Object.entries(values)) expect((await admin.getSecret(`copy/${key}`)).value, key).toBe(value);

    const json = JSON.parse((await cli(['export', 'production', '--json'], as)).stdout);
    expect(json.entries).toHaveLength(Object.keys(values).length);
    expect(json.skipped.nested).toEqual(['production/nested/deeper']);
    const reads = await admin.queryAudit({ type: 'secret.read', path: 'production/QUOTES' });
    expect(reads.events.length).toBe(2);
  });

  it('fails before printing anything when a value has no .env form that reads back unchanged', async () => {
    const { baseUrl, adminKey, admin } = await servedVault();
    await admin.setSecret('production/OK', 'fine');
    await admin.setSecret('production/TRAILING', 'ends with a backslash\\');
    await admin.setSecret('production/QUOTES', 'all of \' and ` and "');
    const run = await cli(['export', 'production'], { key: adminKey, url: baseUrl });
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('production/QUOTES (holds all three quote characters), production/TRAILING (ends with a backslash)');
    expect(run.stderr).not.toContain('ends with a backslash\\');
  });
});
