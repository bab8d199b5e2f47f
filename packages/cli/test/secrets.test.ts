/** get, set, list, versions, rotate, rollback, delete, restore: the binary against a real server. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeRequiring } from '@agentvault/core/testing';
import { EXIT_CODES } from '../src/errors';
import { BIN, cli, servedVault } from './helpers';

describe('secrets', () => {
  it('set reads the value from stdin (never argv), get prints exactly the value, --json adds metadata', async () => {
    const { baseUrl, adminKey, admin } = await servedVault();
    const as = { key: adminKey, url: baseUrl };
    const set = await cli(['set', 'production/openai/api-key', '--tier', 'sensitive', '--type', 'api_key', '--tag', 'team=ml'], {
      ...as,
      input: 'sk-proj-abc123\n',
    });
    expect(set).toMatchObject({ code: 0, stdout: 'production/openai/api-key: version 1 (sensitive, api_key)\n' });
    expect(set.stdout + set.stderr).not.toContain('sk-proj-abc123');
    const stored = await admin.getSecret('production/openai/api-key');
    expect(stored).toMatchObject({ value: 'sk-proj-abc123', tier: 'sensitive', type: 'api_key', tags: { team: 'ml' } });

    expect(await cli(['get', 'production/openai/api-key'], as)).toMatchObject({ code: 0, stdout: 'sk-proj-abc123' });
    const json = JSON.parse((await cli(['get', 'production/openai/api-key', '--json'], as)).stdout);
    expect(json).toMatchObject({ path: 'production/openai/api-key', value: 'sk-proj-abc123', version: 1, tier: 'sensitive' });

    await cli(['set', 'production/openai/api-key', '--keep-trailing-newline'], { ...as, input: 'second\n' });
    expect((await admin.getSecret('production/openai/api-key')).value).toBe('second\n');
    expect((await cli(['get', 'production/openai/api-key', 'v1'], as)).stdout).toBe('sk-proj-abc123');

    const fromArg = await cli(['set', 'dev/x', '--value-from-arg', 'visible'], as);
    expect(fromArg.code).toBe(0);
    expect(fromArg.stderr).toContain('warning: a value given on the command line can be seen in the process list');
    expect((await admin.getSecret('dev/x')).value).toBe('visible');
  });

  it('list --tag key=value filters by tags (repeatable; all must match)', async () => {
    const { baseUrl, adminKey, admin } = await servedVault();
    const as = { key: adminKey, url: baseUrl };
    await admin.setSecret('production/db/replica', 'replica-value', { tags: { team: 'data', env: 'prod' } });
    await admin.setSecret('production/db/analytics', 'analytics-value', { tags: { team: 'data', env: 'dev' } });
    await admin.setSecret('production/web/key', 'web-value', { tags: { team: 'web', env: 'prod' } });
    const tagged = async (...tags: string[]) => {
      const result = await cli(['list', 'production', ...tags.flatMap((t) => ['--tag', t]), '--json'], as);
      return JSON.parse(result.stdout).items.map((i: { path: string }) => i.path);
    };
    expect(await tagged('team=data')).toEqual(['production/db/analytics', 'production/db/replica']);
    expect(await tagged('team=data', 'env=prod')).toEqual(['production/db/replica']);
    expect((await cli(['list', '--tag', 'novalue'], as)).code).toBe(EXIT_CODES.usage);
  });

  it('list, versions, rotate, rollback, delete and restore print metadata, never a value', async () => {
    const { baseUrl, adminKey, admin } = await servedVault();
    const as = { key: adminKey, url: baseUrl };
    const values = ['first-value-1', 'second-value-2', 'third-value-3'];
    await admin.setSecret('production/db/main', values[0]!, { tier: 'critical', type: 'db_credential' });
    await admin.setSecret('production/db/main', values[1]!);
    await admin.setSecret('staging/db/main', 'other-value');
    const outputs: string[] = [];
    const run = async (args: string[], input?: string) => {
      const result = await cli(args, { ...as, input });
      outputs.push(result.stdout, result.stderr);
      return result;
    };

    const list = await run(['list', 'production']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/production\/db\/main\s+│ v2\s+│ critical\s+│ db_credential/);
    expect(list.stdout).not.toContain('staging');
    expect(list.stderr).toBe('1 of 1 secret\n');
    const paged = JSON.parse((await run(['list', '--limit', '1', '--json'])).stdout);
    expect(paged).toMatchObject({ total: 2, items: [{ path: 'production/db/main' }], nextCursor: expect.any(String) });
    const all = JSON.parse((await run(['list', '--limit', '1', '--all', '--json'])).stdout);
    expect(all.items.map((i: { path: string }) => i.path)).toEqual(['production/db/main', 'staging/db/main']);

    const versions = await run(['versions', 'production/db/main']);
    expect(versions.stdout).toMatch(/│ v1\s+│.*\n.*│ v2\s+│.*│ yes/);

    const rotated = await run(['rotate', 'production/db/main', '--grace-period', '3600'], `${values[2]}\n`);
    expect(rotated.stdout).toMatch(/^production\/db\/main: v2 → v3; v2 readable until \d{4}-/);
    expect((await admin.getSecret('production/db/main')).value).toBe(values[2]);

    const rolled = await run(['rollback', 'production/db/main', 'v1']);
    expect(rolled.code).toBe(0);
    expect((await admin.getSecret('production/db/main')).value).toBe(values[0]);

    expect((await run(['delete', 'production/db/main'])).stdout).toContain('moved to the trash');
    expect((await run(['get', 'production/db/main'])).code).toBe(EXIT_CODES.notFound);
    expect((await run(['list', '--trashed'])).stdout).toContain('production/db/main');
    expect((await run(['restore', 'production/db/main'])).code).toBe(0);
    expect((await admin.getSecret('production/db/main')).value).toBe(values[0]);

    const refused = await run(['delete', 'production/db/main', '--permanent']);
    expect(refused.code).toBe(EXIT_CODES.usage);
    expect(refused.stderr).toContain('needs --yes');
    expect((await run(['rm', 'production/db/main', '--permanent', '--yes'])).stdout).toBe('production/db/main: destroyed\n');
    expect((await run(['restore', 'production/db/main'])).code).toBe(EXIT_CODES.notFound);

    for (const text of outputs) for (const value of [...values, 'other-value']) expect(text).not.toContain(value);
  });

  it('exits by error class: 2 unauthorized, 3 permission, 4 not found, 5 conflict, 6 gone, 1 validation, 8 rate limited, 9 unreachable', async () => {
    const { baseUrl, adminKey, admin } = await servedVault();
    const as = { key: adminKey, url: baseUrl };
    await admin.setSecret('team/a', 'value-a');
    await admin.setSecret('team/b', 'value-b');
    const token = await admin.requestToken({ scope: 'secrets:read:team/a' });

    const cases: [string[], Record<string, string | undefined>, number, string][] = [
      [['get', 'team/a'], { key: `ass_live_${'x'.repeat(43)}` }, EXIT_CODES.unauthorized, 'unauthorized'],
      [['get', 'team/a'], { key: '' }, EXIT_CODES.unauthorized, 'unauthorized'],
      [['get', 'team/b'], { key: token.value! }, EXIT_CODES.permissionDenied, 'permission_denied'],
      [['get', 'team/zzz'], {}, EXIT_CODES.notFound, 'not_found'],
      [['set', 'team/a', '--expected-version', '7'], {}, EXIT_CODES.conflict, 'conflict'],
      [['get', 'team/a', '9'], {}, EXIT_CODES.notFound, 'not_found'],
      [['set', 'bad//path'], {}, EXIT_CODES.usage, 'validation_error'],
    ];
    for (const [args, env, code, wire] of cases) {
      const result = await cli([...args, '--json'], { ...as, ...env, input: 'new-value' });
      expect(result.code, args.join(' ')).toBe(code);
      const body = JSON.parse(result.stdout);
      expect(body.error.code, args.join(' ')).toBe(wire);
      expect(result.stdout).not.toMatch(/value-a|value-b|new-value|ast_tok_|ass_live_/);
    }
    const human = await cli(['get', 'team/b'], { ...as, key: token.value! });
    expect(human.stderr).toMatch(/required scope: secrets:read:team\/(b|\*)/);

    await admin.rotateSecret('team/a', 'value-a2', { gracePeriodSeconds: 0 });
    expect((await cli(['get', 'team/a', '1'], as)).code).toBe(EXIT_CODES.gone);

    const limited = await servedVault({ rateLimit: 1 });
    const limitedAs = { key: limited.adminKey, url: limited.baseUrl };
    await cli(['list', '--retries', '0'], limitedAs);
    const second = await cli(['list', '--retries', '0', '--json'], limitedAs);
    expect(second.code).toBe(EXIT_CODES.rateLimited);
    expect(JSON.parse(second.stdout).error).toMatchObject({ code: 'rate_limited', retryAfter: expect.any(Number) });

    const unreachable = await cli(['get', 'team/a', '--retries', '0', '--timeout', '2000'], {
      key: adminKey,
      url: 'http://127.0.0.1:9/v1',
    });
    expect(unreachable.code).toBe(EXIT_CODES.unavailable);
    expect(unreachable.stderr).toMatch(/Could not reach .* \(network_error\)/);
  });

  it('takes the key from --key-file and the URL from --url over the environment', async () => {
    const { baseUrl, adminKey, admin } = await servedVault();
    await admin.setSecret('team/a', 'from-file');
    const dir = await mkdtemp(join(tmpdir(), 'agentvault-cli-'));
    const keyFile = join(dir, 'key');
    await writeFile(keyFile, `${adminKey}\n`, { mode: 0o600 });
    const run = await cli(['get', 'team/a', '--key-file', keyFile, '--url', baseUrl], {
      key: `ass_live_${'w'.repeat(43)}`,
      url: 'http://127.0.0.1:9/v1',
    });
    expect(run).toMatchObject({ code: 0, stdout: 'from-file' });
    const missing = await cli(['get', 'team/a', '--key-file', join(dir, 'nope'), '--url', baseUrl]);
    expect(missing.code).toBe(EXIT_CODES.usage);
    expect(missing.stderr).toContain('Cannot read --key-file');
  });
});

const noScript = spawnSync('script', ['--version']).status === 0
  ? null
  : 'the `script` command (util-linux) is not installed: it gives the CLI a terminal';

describeRequiring(noScript, 'on a terminal', () => {
  it('set asks with a hidden prompt: what is typed is not echoed, and is stored', async () => {
    const { baseUrl, adminKey, admin } = await servedVault();
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} set tty/secret`;
    // `script` runs the CLI on a pseudo-terminal and types what it reads from its stdin.
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, AGENTVAULT_RUN_SOURCE: '1', ASS_AGENT_KEY: adminKey, AGENTVAULT_URL: baseUrl },
    });
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    const closed = new Promise((resolve) => child.on('close', resolve));
    while (!screen.includes('Value for tty/secret: ')) await new Promise((resolve) => setTimeout(resolve, 25));
    child.stdin.write('typed-on-a-terminal\r');
    // Bounded by the test's timeout, not a wall-clock deadline of its own.
    while (!screen.includes('version 1')) await new Promise((resolve) => setTimeout(resolve, 25));
    child.stdin.end();
    await closed;
    expect(screen).toContain('tty/secret: version 1 (standard, custom)');
    expect(screen).not.toContain('typed-on-a-terminal');
    expect((await admin.getSecret('tty/secret')).value).toBe('typed-on-a-terminal');
  });
});
