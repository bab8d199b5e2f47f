/**
 * `token request|wait|revoke`. A granted token's value goes to stdout alone (so
 * `TOKEN=$(agentvault token request …)` works) and its facts to stderr. A request that needs
 * approval prints the approval id and waits with a spinner until an approver decides, the wait
 * times out (exit 7, collect it later with `token wait`), or Ctrl-C (exit 130).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AgentVaultApprovalPendingError,
  AgentVaultConflictError,
  type ScopedToken,
} from '@agentvault/client';
import type { Command } from 'commander';
import { act } from '../action';
import type { CommandContext } from '../context';
import { CliError, isAbort } from '../errors';
import type { CliIo } from '../io';
import { printJson, safe, when } from '../output';
import { collect, positiveInt } from '../parsers';
import { startSpinner } from '../progress';

interface WaitFlags {
  waitTimeout: number;
  pollInterval: number;
}

function addWaitOptions(command: Command): Command {
  return command
    .option('--wait-timeout <seconds>', 'give up waiting after this long (exit 7)', positiveInt, 300)
    .option('--poll-interval <ms>', 'first wait between looks; grows 1.5x up to 10 s', positiveInt, 1000);
}

function printToken(ctx: CommandContext, token: ScopedToken): void {
  if (ctx.json) {
    printJson(ctx.io.stdout, token);
    return;
  }
  ctx.io.stdout.write(`${token.value}\n`);
  ctx.io.stderr.write(
    `Token ${token.id} for "${safe(token.scope)}" (tier ${token.approvedTier}), expires ${when(token.expiresAt)}`
    + `${token.maxUses === null ? '' : `, ${token.maxUses} uses`}. It is shown once.\n`,
  );
}

/** Look at the request until it is decided, then return the token (the requester's first look carries it). */
export async function waitForToken(ctx: CommandContext, id: string, flags: WaitFlags): Promise<ScopedToken> {
  const deadline = Date.now() + flags.waitTimeout * 1000;
  let interval = flags.pollInterval;
  const spinner = await startSpinner(ctx.io.stderr, `Waiting for an approver to decide ${id}`);
  try {
    for (;;) {
      const approval = await ctx.vault.getApproval(id, { signal: ctx.io.signal });
      if (approval.token) {
        spinner.stop(`${id} approved`);
        return approval.token;
      }
      const note = approval.decisions.at(-1)?.note ?? null;
      if (approval.status === 'denied')
        throw new CliError('approval_denied', `Approval request ${id} was denied${note ? `: ${note}` : ''}`, { approvalId: id });
      if (approval.status === 'expired')
        throw new CliError('approval_expired', `Approval request ${id} expired undecided`, { approvalId: id });
      if (approval.status === 'approved')
        throw new AgentVaultConflictError(`The token of approval request ${id} was already collected`);
      const approvals = approval.decisions.filter((d) => d.decision === 'approve').length;
      spinner.update(`Waiting for an approver to decide ${id} (${approvals}/${approval.requiredApprovals} approvals)`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new AgentVaultApprovalPendingError(
          `Approval request ${id} is still pending; collect the token later with: agentvault token wait ${id}`,
          id,
        );
      }
      await sleep(Math.min(interval, left), undefined, { signal: ctx.io.signal });
      interval = Math.min(10_000, interval * 1.5);
    }
  } catch (error) {
    if (!isAbort(error)) throw error;
    throw new CliError('interrupted', `Stopped waiting; collect the token later with: agentvault token wait ${id}`, { approvalId: id });
  } finally {
    spinner.stop();
  }
}

export function registerTokenCommands(program: Command, io: CliIo): void {
  const token = program.command('token').description('request, collect and revoke scoped tokens');

  addWaitOptions(
    token
      .command('request')
      .description('request a scoped token; waits for approval when its scope covers sensitive or critical secrets')
      .requiredOption('--scope <scope>', 'e.g. "secrets:read:production/openai/*" (several separated by spaces)')
      .option('--ttl <seconds>', 'lifetime', positiveInt)
      .option('--description <text>', 'who or what the token is for (shown to approvers)')
      .option('--allowed-ip <cidr>', 'only usable from this address or range; repeatable', collect)
      .option('--max-uses <n>', 'usable this many times', positiveInt)
      .option('--waive-approval', 'skip approval for sensitive scopes, where the vault allows it')
      .option('--no-wait', 'return at once: exit 7 with the approval id on stdout when approval is needed'),
  )
    .addHelpText(
      'after',
      `
A granted token's value is printed alone on stdout: TOKEN=$(agentvault token request --scope …).
A pending request prints its approval id on stderr and waits (a spinner on a terminal) until it is
approved (exit 0, the token on stdout), denied or expired (exit 7), or --wait-timeout passes
(exit 7; collect it later with agentvault token wait <approval-id>).`,
    )
    .action(
      act<WaitFlags & {
        scope: string;
        ttl?: number;
        description?: string;
        allowedIp?: string[];
        maxUses?: number;
        waiveApproval?: boolean;
        wait: boolean;
      }>(io, async (ctx, _args, o) => {
        const requested = await ctx.vault.requestToken({
          scope: o.scope,
          ttlSeconds: o.ttl,
          description: o.description,
          allowedIps: o.allowedIp,
          maxUses: o.maxUses,
          waiveApproval: o.waiveApproval,
          signal: ctx.io.signal,
        });
        if (requested.approvalStatus !== 'pending') {
          const { approveUrl: _url, ...issued } = requested;
          printToken(ctx, issued);
          return;
        }
        const id = requested.approvalRequestId!;
        ctx.io.stderr.write(`Approval ${id} is pending; an approver decides at ${requested.approveUrl ?? id}\n`);
        if (!o.wait) {
          if (!ctx.json) ctx.io.stdout.write(`${id}\n`);
          throw new CliError('approval_pending', `Approval request ${id} is pending`, {
            approvalId: id,
            approveUrl: requested.approveUrl,
          });
        }
        printToken(ctx, await waitForToken(ctx, id, o));
      }),
    );

  addWaitOptions(
    token
      .command('wait')
      .description('wait for an approval request you made and print its token')
      .argument('<approval-id>', 'apr_…'),
  ).action(
    act<WaitFlags>(io, async (ctx, [id], o) => {
      printToken(ctx, await waitForToken(ctx, id!, o));
    }),
  );

  token
    .command('revoke')
    .description('revoke a token and every token minted from it')
    .argument('<token-id>', 'tok_…')
    .action(
      act(io, async (ctx, [id]) => {
        const info = await ctx.vault.revokeToken(id!, { signal: ctx.io.signal });
        if (ctx.json) printJson(ctx.io.stdout, info);
        else ctx.io.stdout.write(`${info.id}: revoked at ${when(info.revokedAt)}, with every token minted from it\n`);
      }),
    );
}
