/** `approvals list|show|approve|deny`: the approver's side of token requests. */
import type { Approval, Page } from '@agentvault/client';
import { type Command, Option } from 'commander';
import { act } from '../action';
import type { CommandContext } from '../context';
import type { CliIo } from '../io';
import { printJson, printTable, safe, when } from '../output';
import { positiveInt } from '../parsers';

const STATUSES = ['pending', 'approved', 'denied', 'expired'] as const;

function decisions(approval: Approval): string {
  const approvals = approval.decisions.filter((d) => d.decision === 'approve').length;
  return `${approvals}/${approval.requiredApprovals}`;
}

function printApproval(ctx: CommandContext, approval: Approval, verb: string): void {
  if (ctx.json) {
    printJson(ctx.io.stdout, approval);
    return;
  }
  const { token, ...shown } = approval;
  const lines = [
    `${shown.id}: ${verb}${shown.status}`,
    `  scope:        ${shown.scope} (tier ${shown.tier})`,
    `  requested by: ${shown.requestedBy}${shown.requesterDescription ? ` (${shown.requesterDescription})` : ''}`,
    `  description:  ${shown.description ?? '-'}`,
    `  approvals:    ${decisions(approval)}`,
    ...shown.decisions.map((d) => `    ${d.decision} by ${d.by} at ${when(d.at)}${d.note ? `: ${d.note}` : ''}`),
    `  expires:      ${when(shown.expiresAt)}`,
  ];
  // The requester's first look after approval carries the token, once: print it where a script reads it.
  if (token) {
    ctx.io.stdout.write(`${token.value}\n`);
    lines.push(`  token:        ${token.id}, collected by this look (printed on stdout, shown once)`);
  }
  (token ? ctx.io.stderr : ctx.io.stdout).write(`${lines.map(safe).join('\n')}\n`);
}

export function registerApprovalCommands(program: Command, io: CliIo): void {
  const approvals = program.command('approvals').description('list and decide token approval requests');

  approvals
    .command('list')
    .description('list approval requests you may see (approvers see all)')
    .addOption(new Option('--status <status>', 'only this status').choices(STATUSES))
    .option('--limit <n>', 'page size (at most 200)', positiveInt, 50)
    .option('--cursor <cursor>', 'continue from a previous page')
    .option('--all', 'fetch every page')
    .action(
      act<{ status?: Approval['status']; limit: number; cursor?: string; all?: boolean }>(io, async (ctx, _args, o) => {
        const items: Approval[] = [];
        let page: Page<Approval> = { items: [], nextCursor: o.cursor ?? null };
        do {
          page = await ctx.vault.listApprovals({
            status: o.status,
            limit: o.limit,
            cursor: page.nextCursor,
            signal: ctx.io.signal,
          });
          items.push(...page.items);
        } while (o.all && page.nextCursor);
        if (ctx.json) {
          printJson(ctx.io.stdout, { items: items.map(({ token: _t, ...rest }) => rest), nextCursor: page.nextCursor });
          return;
        }
        if (items.length > 0) {
          printTable(
            ctx.io.stdout,
            ['id', 'status', 'tier', 'scope', 'requested by', 'approvals', 'expires'],
            items.map((a) => [a.id, a.status, a.tier, a.scope, a.requestedBy, decisions(a), when(a.expiresAt)]),
          );
        }
        ctx.io.stderr.write(`${items.length} request(s)${page.nextCursor ? `; more with --cursor ${page.nextCursor} or --all` : ''}\n`);
      }),
    );

  approvals
    .command('show')
    .description('show one request; the requester\'s first look after approval collects the token')
    .argument('<approval-id>', 'apr_…')
    .action(
      act(io, async (ctx, [id]) => {
        printApproval(ctx, await ctx.vault.getApproval(id!, { signal: ctx.io.signal }), '');
      }),
    );

  approvals
    .command('approve')
    .description('approve a request (approver role; never your own request)')
    .argument('<approval-id>', 'apr_…')
    .option('--comment <text>', 'why; kept with the decision and in the audit trail')
    .action(
      act<{ comment?: string }>(io, async (ctx, [id], o) => {
        printApproval(ctx, await ctx.vault.approve(id!, { comment: o.comment }, { signal: ctx.io.signal }), 'now ');
      }),
    );

  approvals
    .command('deny')
    .description('deny a request (approver role)')
    .argument('<approval-id>', 'apr_…')
    .option('--reason <text>', 'why; shown to the requester')
    .action(
      act<{ reason?: string }>(io, async (ctx, [id], o) => {
        printApproval(ctx, await ctx.vault.deny(id!, { reason: o.reason }, { signal: ctx.io.signal }), 'now ');
      }),
    );
}
