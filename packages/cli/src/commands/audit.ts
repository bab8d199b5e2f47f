/**
 * `agentvault audit`: query the trail with filters, or `--follow` it. Following prints the latest
 * events, then polls in ascending order (paging with the cursor) from the newest one seen. Each
 * poll re-reads a short overlap window and skips events it already printed, so an event stored a
 * moment late (another instance, a slow writer) is still shown once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEventView, AuditQuery } from '@agentvault/client';
import { type Command, Option } from 'commander';
import { act } from '../action';
import type { CommandContext } from '../context';
import { isAbort } from '../errors';
import type { CliIo } from '../io';
import { printJson, printJsonLine, printTable, safe, when } from '../output';
import { collect, instant, positiveInt } from '../parsers';

interface AuditFlags {
  namespace?: string;
  path?: string;
  actor?: string;
  type?: string[];
  since?: Date;
  until?: Date;
  success?: boolean;
  failures?: boolean;
  order: 'asc' | 'desc';
  limit?: number;
  cursor?: string;
  all?: boolean;
  follow?: boolean;
  interval: number;
  maxEvents?: number;
}

/** How far back each poll looks again for events stored late. */
const OVERLAP_MS = 5000;

function outcome(event: AuditEventView): string {
  return event.success ? 'ok' : `refused${event.error ? ` (${event.error})` : ''}`;
}

function eventLine(event: AuditEventView): string {
  return [when(event.timestamp), event.type.padEnd(16), outcome(event).padEnd(10), event.actor, event.path ?? ''].join('  ').trimEnd();
}

function filters(o: AuditFlags): AuditQuery {
  return {
    namespace: o.namespace,
    path: o.path,
    actor: o.actor,
    type: o.type,
    until: o.until,
    success: o.failures ? false : o.success,
  };
}

async function follow(ctx: CommandContext, o: AuditFlags): Promise<void> {
  const query = filters(o);
  // Each poll is itself an audit.read event: hide those unless they were asked for.
  const shown = (e: AuditEventView) => e.type !== 'audit.read' || (o.type?.includes('audit.read') ?? false);
  const seen = new Map<string, number>();
  let printed = 0;
  let newest: number | null = null;
  const print = (events: AuditEventView[]): boolean => {
    for (const event of events) {
      const at = event.timestamp.getTime();
      if (seen.has(event.id)) continue;
      seen.set(event.id, at);
      newest = newest === null ? at : Math.max(newest, at);
      if (!shown(event)) continue;
      if (ctx.json) printJsonLine(ctx.io.stdout, event);
      else ctx.io.stdout.write(`${safe(eventLine(event))}\n`);
      printed++;
      if (o.maxEvents !== undefined && printed >= o.maxEvents) return false;
    }
    return true;
  };

  try {
    if (o.since) {
      newest = o.since.getTime();
    } else {
      // Like tail -f: the latest few first.
      const latest = await ctx.vault.queryAudit({ ...query, order: 'desc', limit: o.limit ?? 10, signal: ctx.io.signal });
      if (!print(latest.events.reverse())) return;
    }
    // Nothing older than where we started: the overlap is for late events, not for history.
    const horizon: number | null = newest;
    for (let first = true; ; first = false) {
      if (!(first && o.since)) await sleep(o.interval, undefined, { signal: ctx.io.signal });
      const since = newest === null ? undefined : new Date(Math.max(horizon ?? 0, newest - OVERLAP_MS));
      let cursor: string | null = null;
      do {
        const page = await ctx.vault.queryAudit({ ...query, since, order: 'asc', limit: 1000, cursor, signal: ctx.io.signal });
        if (!print(page.events)) return;
        cursor = page.nextCursor;
      } while (cursor);
      if (newest !== null) {
        for (const [id, at] of seen) if (at < newest - OVERLAP_MS) seen.delete(id);
      }
    }
  } catch (error) {
    // Ctrl-C is how a follow ends.
    if (!isAbort(error)) throw error;
  }
}

export function registerAuditCommand(program: Command, io: CliIo): void {
  program
    .command('audit')
    .description('query the audit trail, or follow it with --follow')
    .option('--namespace <namespace>', 'events on paths under this namespace')
    .option('--path <path>', 'events on this path')
    .option('--actor <actor>', 'events by this actor, e.g. token:tok_… or key:key_…')
    .option('--type <type>', 'event type, e.g. secret.read; repeatable', collect)
    .option('--since <time>', 'ISO-8601 time or an age such as 15m, 2h, 7d', instant())
    .option('--until <time>', 'ISO-8601 time or an age (exclusive)', instant())
    .addOption(new Option('--success', 'successes only').conflicts('failures'))
    .addOption(new Option('--failures', 'refusals and failures only').conflicts('success'))
    .addOption(new Option('--order <order>', 'newest or oldest first').choices(['asc', 'desc']).default('desc'))
    .option('--limit <n>', 'events per page (default 50; with --follow, how many recent ones to show first, default 10)', positiveInt)
    .option('--cursor <cursor>', 'continue from a previous page')
    .option('--all', 'fetch every page')
    .option('-f, --follow', 'keep polling and print new events until interrupted (Ctrl-C ends it with 0)')
    .option('--interval <ms>', 'poll interval with --follow', positiveInt, 2000)
    .option('--max-events <n>', 'with --follow, stop after printing this many events', positiveInt)
    .addHelpText(
      'after',
      `
With --follow, events print one per line (JSON lines with --json) and audit.read events are hidden,
since every poll makes one, unless you ask for them with --type audit.read.`,
    )
    .action(
      act<AuditFlags>(io, async (ctx, _args, o) => {
        if (o.follow) {
          await follow(ctx, o);
          return;
        }
        const events: AuditEventView[] = [];
        let cursor: string | null = o.cursor ?? null;
        do {
          const page = await ctx.vault.queryAudit({
            ...filters(o),
            since: o.since,
            order: o.order,
            limit: o.limit ?? 50,
            cursor,
            signal: ctx.io.signal,
          });
          events.push(...page.events);
          cursor = page.nextCursor;
        } while (o.all && cursor);
        if (ctx.json) {
          printJson(ctx.io.stdout, { events, nextCursor: cursor });
          return;
        }
        if (events.length > 0) {
          printTable(
            ctx.io.stdout,
            ['time', 'type', 'result', 'actor', 'path'],
            events.map((e) => [when(e.timestamp), e.type, outcome(e), e.actor, e.path ?? '']),
          );
        }
        ctx.io.stderr.write(`${events.length} event(s)${cursor ? `; more with --cursor ${cursor} or --all` : ''}\n`);
      }),
    );
}
