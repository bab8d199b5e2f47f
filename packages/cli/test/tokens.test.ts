/** `token request|wait|revoke` and `approvals`: the wait is ended by an approver acting while the binary waits. */
import readline from 'node:readline';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../src/errors';
import { startProgress, startSpinner } from '../src/progress';
import { cli, servedVault, startCli, until } from './helpers';

describe('token request', () => {
  it('prints a standard-tier token alone on stdout, its facts on stderr; the token works and can be revoked', async () => {
    const { baseUrl, adminKey, admin } = await servedVault();
    await admin.setSecret('production/openai/api-key', 'sk-standard', { tier: 'standard' });
    const run = await cli(['token', 'request', '--scope', 'secrets:read:production/openai/*', '--ttl', '600', '--max-uses', '5'], {
      key: adminKey,
      url: baseUrl,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ast_tok_[\w-]+\n$/);
    expect(run.stderr).toMatch(/^Token tok_\w+ for "secrets:read:production\/openai\/\*" \(tier standard\), expires .*, 5 uses\. It is shown once\.\n$/);
    const token = run.stdout.trim();
    expect((await cli(['get', 'production/openai/api-key'], { key: token, url: baseUrl })).stdout).toBe('sk-standard');

    const id = /Token (tok_\w+)/.exec(run.stderr)![1]!;
    expect((await cli(['token', 'revoke', id], { key: adminKey, url: baseUrl })).stdout).toContain(`${id}: revoked at`);
    expect((await cli(['get', 'production/openai/api-key'], { key: token, url: baseUrl })).code).toBe(EXIT_CODES.unauthorized);
  });

  it('waits for approval of a critical scope (no spinner off a terminal) until an approver approves from elsewhere', async () => {
    const { baseUrl, adminKey, admin, approver } = await servedVault();
    await admin.setSecret('production/postgres/main', 'postgresql://critical', { tier: 'critical' });
    const child = startCli(
      ['token', 'request', '--scope', 'secrets:read:production/postgres/*', '--description', 'nightly migration', '--poll-interval', '100'],
      { key: adminKey, url: baseUrl },
    );
    const { stderr } = await until(child, (run) => /apr_\w+ is pending/.test(run.stderr));
    const approvalId = /(apr_\w+) is pending/.exec(stderr)![1]!;
    expect(stderr).toContain(`an approver decides at ${baseUrl}/approvals/${approvalId}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(child.output().code).toBeNull(); // still waiting
    expect(child.output().stderr).not.toMatch(/[⠋⠙⠹⠸]/); // no spinner in a pipe

    await approver.approve(approvalId, { comment: 'window 02:00' });
    const done = await child.done;
    expect(done.code).toBe(0);
    const token = done.stdout.trim();
    expect(token).toMatch(/^ast_tok_/);
    expect(done.stderr).toMatch(/\(tier critical\)/);
    expect((await cli(['get', 'production/postgres/main'], { key: token, url: baseUrl })).stdout).toBe('postgresql://critical');
  });

  it('--no-wait exits 7 with the approval id on stdout; token wait collects it once approved, and exits 7 when denied or timed out', async () => {
    const { baseUrl, adminKey, admin, approverKey } = await servedVault();
    await admin.setSecret('production/stripe/key', 'sk_live_critical', { tier: 'critical' });
    const as = { key: adminKey, url: baseUrl };
    const request = ['token', 'request', '--scope', 'secrets:read:production/stripe/*', '--no-wait'];

    const pending = await cli(request, as);
    expect(pending.code).toBe(EXIT_CODES.approval);
    const id = pending.stdout.trim();
    expect(id).toMatch(/^apr_\w+$/);
    const json = await cli([...request, '--json'], as);
    expect(JSON.parse(json.stdout)).toEqual({
      error: { code: 'approval_pending', message: expect.any(String), approvalId: expect.stringMatching(/^apr_/), approveUrl: expect.any(String) },
    });

    const timedOut = await cli(['token', 'wait', id, '--wait-timeout', '1', '--poll-interval', '200'], as);
    expect(timedOut.code).toBe(EXIT_CODES.approval);
    expect(timedOut.stderr).toContain(`collect the token later with: agentvault token wait ${id}`);

    const listed = await cli(['approvals', 'list', '--status', 'pending'], { key: approverKey, url: baseUrl });
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+│ pending\\s+│ critical\\s+│ secrets:read:production/stripe/\\*`));
    const selfApprove = await cli(['approvals', 'approve', id], as);
    expect(selfApprove.code).toBe(EXIT_CODES.permissionDenied);
    const approved = await cli(['approvals', 'approve', id, '--comment', 'ok'], { key: approverKey, url: baseUrl });
    expect(approved.stdout).toMatch(new RegExp(`^${id}: now approved\\n[\\s\\S]*approve by key:\\w+ at .*: ok`));
    expect((await cli(['approvals', 'approve', id], { key: approverKey, url: baseUrl })).code).toBe(EXIT_CODES.conflict);

    const collected = await cli(['token', 'wait', id], as);
    expect(collected.code).toBe(0);
    expect(collected.stdout).toMatch(/^ast_tok_/);
    const again = await cli(['token', 'wait', id], as);
    expect(again.code).toBe(EXIT_CODES.conflict);

    const second = (await cli(request, as)).stdout.trim();
    const waiting = startCli(['token', 'wait', second, '--poll-interval', '100'], as);
    await until(waiting, (run) => run.stderr === '' && run.code === null);
    expect((await cli(['approvals', 'deny', second, '--reason', 'not today'], { key: approverKey, url: baseUrl })).code).toBe(0);
    const denied = await waiting.done;
    expect(denied.code).toBe(EXIT_CODES.approval);
    expect(denied.stderr).toContain(`Approval request ${second} was denied: not today (approval_denied)`);
    expect(denied.stdout).toBe('');
  });

  it('approvals show collects the token on the requester\'s first look after approval, and only then', async () => {
    const { baseUrl, adminKey, admin, approver } = await servedVault();
    await admin.setSecret('ops/root', 'root-secret', { tier: 'critical' });
    const pending = await admin.requestToken({ scope: 'secrets:read:ops/*' });
    const id = pending.approvalRequestId!;
    const before = await cli(['approvals', 'show', id], { key: adminKey, url: baseUrl });
    expect(before.stdout).toMatch(new RegExp(`^${id}: pending\\n  scope: +secrets:read:ops/\\* \\(tier critical\\)`));
    await approver.approve(id);
    const first = await cli(['approvals', 'show', id], { key: adminKey, url: baseUrl });
    expect(first.stdout).toMatch(/^ast_tok_[\w-]+\n$/);
    expect(first.stderr).toContain('collected by this look');
    const later = await cli(['approvals', 'show', id, '--json'], { key: adminKey, url: baseUrl });
    expect(JSON.parse(later.stdout)).toMatchObject({ id, status: 'approved', token: null, tokenId: expect.stringMatching(/^tok_/) });
  });
});

describe('progress on a terminal', () => {
  const tty = () => {
    let written = '';
    const stream: PassThrough & { isTTY: true; columns: number } = Object.assign(new PassThrough(), {
      isTTY: true as const,
      columns: 100,
      // What a tty.WriteStream adds, as escape sequences.
      cursorTo: (x: number, y?: number) => readline.cursorTo(stream, x, y),
      moveCursor: (dx: number, dy: number) => readline.moveCursor(stream, dx, dy),
      clearLine: (dir: -1 | 0 | 1) => readline.clearLine(stream, dir),
      clearScreenDown: () => readline.clearScreenDown(stream),
    });
    stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
    return { stream, written: () => written };
  };

  it('draws the import bar and the approval spinner only on a TTY', async () => {
    const term = tty();
    const bar = startProgress(term.stream, 450, 'Importing');
    bar.advance(200);
    bar.stop();
    expect(term.written()).toContain('Importing [');
    expect(term.written()).toMatch(/\d+\/450 entries/);

    const spin = tty();
    const spinner = await startSpinner(spin.stream, 'Waiting for an approver to decide apr_1');
    await new Promise((resolve) => setTimeout(resolve, 200));
    spinner.update('Waiting … (1/2 approvals)');
    spinner.stop('apr_1 approved');
    expect(spin.written()).toContain('Waiting for an approver to decide apr_1');
    expect(spin.written()).toContain('apr_1 approved');

    const pipe = Object.assign(new PassThrough(), { isTTY: false });
    let piped = '';
    pipe.on('data', (chunk: Buffer) => (piped += chunk.toString()));
    startProgress(pipe, 10, 'Importing').stop();
    (await startSpinner(pipe, 'Waiting')).stop('done');
    expect(piped).toBe('');
  });
});
