/** `npx agentvault --help` from the repository root, and `--help` on every command. */
import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { EXIT_CODES } from '../src/errors';
import type { CliIo } from '../src/io';
import { createProgram, runCli } from '../src/program';
import { REPO_ROOT, spawnBin } from './helpers';

function memoryIo(): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const stdout = Object.assign(new PassThrough(), { isTTY: false });
  const stderr = Object.assign(new PassThrough(), { isTTY: false });
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env: {},
    signal: new AbortController().signal,
    out: () => out,
    err: () => err,
  };
}

function allCommands(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((sub) => {
    const name = [...prefix, sub.name()];
    return [name, ...allCommands(sub, name)];
  });
}

describe('help', () => {
  it('npx agentvault --help works from the repository root without a build step (the source through tsx)', async () => {
    const result = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        'npx',
        ['agentvault', '--help'],
        { cwd: REPO_ROOT, env: { ...process.env, AGENTVAULT_RUN_SOURCE: '1' } },
        (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
      );
    });
    expect(result.code).toBe(0);
    for (const command of ['import', 'export', 'get', 'set', 'list', 'versions', 'rotate', 'rollback', 'delete', 'restore', 'token', 'approvals', 'audit'])
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(result.stdout).toContain('ASS_AGENT_KEY');
    expect(result.stdout).toMatch(/Exit codes:[\s\S]*7 {2}approval pending, denied or expired/);
  });

  it('the binary prints its version and refuses an unknown command with exit 1', async () => {
    expect((await spawnBin(['--version']).done).stdout.trim()).toBe('0.1.0');
    const unknown = await spawnBin(['frobnicate']).done;
    expect(unknown.code).toBe(EXIT_CODES.usage);
    expect(unknown.stderr).toContain('unknown command \'frobnicate\'');
  });

  it('exits quietly when the reader of its output has gone (agentvault --help | head -1)', async () => {
    const child = spawnBin(['--help']);
    child.stdout.destroy();
    const done = await child.done;
    expect(done.code).toBe(0);
    expect(done.stderr).not.toContain('EPIPE');
  });

  it('every command and subcommand has --help (exit 0) naming its arguments and options', async () => {
    const names = allCommands(createProgram(memoryIo()));
    expect(names.map((n) => n.join(' '))).toEqual(
      expect.arrayContaining(['token request', 'token wait', 'token revoke', 'approvals list', 'approvals approve', 'approvals deny', 'audit']),
    );
    for (const name of names) {
      const io = memoryIo();
      expect(await runCli([...name, '--help'], io), name.join(' ')).toBe(0);
      expect(io.out(), name.join(' ')).toMatch(new RegExp(`^Usage: agentvault ${name.join(' ')}`));
    }
    const set = memoryIo();
    await runCli(['set', '--help'], set);
    expect(set.out()).toContain('--value-from-arg <value>  UNSAFE');
    expect(set.out()).toContain('hidden prompt');
  });

  it('a usage error with --json is a JSON error with code "usage" on stdout', async () => {
    const io = memoryIo();
    expect(await runCli(['get', '--json'], io)).toBe(EXIT_CODES.usage);
    expect(JSON.parse(io.out())).toEqual({ error: { code: 'usage', message: expect.stringContaining('missing required argument') } });
    expect(io.err()).toBe('');
  });
});
