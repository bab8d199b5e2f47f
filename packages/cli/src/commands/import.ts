/**
 * `agentvault import <file|->`: the seed's `ass import` on top of `POST /import`. The vault parses
 * the .env text and applies the rules (namespace, tier by longest prefix, skip existing unless
 * --overwrite, trashed paths always skipped, nothing written if any line is bad).
 *
 * A large file is sent in batches so a progress bar can move and no request exceeds the server's
 * body limit: first every batch as a dry run (every line and permission checked before anything is
 * written), then every batch for real. Line numbers are mapped back to the file's.
 */
import { readFile } from 'node:fs/promises';
import {
  type AgentVault,
  AgentVaultValidationError,
  type ImportEnvOptions,
  type ImportResult,
  type SecretType,
  type Tier,
  type ValidationIssue,
} from '@agentvault/client';
import type { Command } from 'commander';
import { act } from '../action';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { type EnvBatch, envBatches } from '../env-file';
import { type CliIo, readAll } from '../io';
import { printJson, printTable, some } from '../output';
import { nonNegativeInt, tierOption, tierPrefix, typeOption } from '../parsers';
import { startProgress } from '../progress';

interface ImportFlags {
  namespace?: string;
  tier?: Tier;
  tierPrefix?: Record<string, Tier>;
  type?: SecretType;
  dryRun?: boolean;
  overwrite?: boolean;
  batchSize: number;
}

/** Requests stay well under the server's default 1 MiB body limit. */
const BATCH_BYTES = 256 * 1024;

async function readEnvText(ctx: CommandContext, file: string | undefined): Promise<string> {
  if (file === undefined || file === '-') {
    if (file === undefined && ctx.io.stdin.isTTY)
      throw new CliError('usage', 'Give a .env file, or pipe one: cat .env | agentvault import --namespace production');
    return readAll(ctx.io.stdin);
  }
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError('usage', `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function remapLine(batch: EnvBatch, line: number): number {
  return batch.lineMap[line - 1] ?? line;
}

function remapped(batch: EnvBatch, result: ImportResult): ImportResult {
  const fix = <T extends { line: number }>(items: T[]) => items.map((item) => ({ ...item, line: remapLine(batch, item.line) }));
  return {
    created: fix(result.created),
    updated: fix(result.updated),
    skipped: fix(result.skipped),
    dryRun: result.dryRun,
    counts: result.counts,
    secrets: fix(result.secrets),
  };
}

function remappedIssues(batch: EnvBatch, issues: ValidationIssue[]): ValidationIssue[] {
  return issues.map((issue) => {
    if (issue.path[0] !== 'line' || typeof issue.path[1] !== 'number') return issue;
    const line = remapLine(batch, issue.path[1]);
    return { path: ['line', line], message: issue.message.replace(/^line \d+:/, `line ${line}:`) };
  });
}

function merged(results: ImportResult[], dryRun: boolean): ImportResult {
  return {
    created: results.flatMap((r) => r.created),
    updated: results.flatMap((r) => r.updated),
    skipped: results.flatMap((r) => r.skipped),
    dryRun,
    counts: {
      created: results.reduce((n, r) => n + r.counts.created, 0),
      updated: results.reduce((n, r) => n + r.counts.updated, 0),
      skipped: results.reduce((n, r) => n + r.counts.skipped, 0),
    },
    secrets: results.flatMap((r) => r.secrets),
  };
}

const counted = (result: ImportResult) => result.created.length + result.updated.length + result.skipped.length;

async function importBatches(
  ctx: CommandContext,
  vault: AgentVault,
  batches: EnvBatch[],
  options: ImportEnvOptions,
): Promise<ImportResult> {
  const send = (batch: EnvBatch, dryRun: boolean) =>
    vault.importEnv(batch.text, { ...options, dryRun, signal: ctx.io.signal }).then((r) => remapped(batch, r));

  // Check everything first: one bad line or one refused path anywhere, and nothing is written.
  const total = batches.reduce((sum, b) => sum + b.entries, 0);
  const bar = startProgress(ctx.io.stderr, total, 'Checking');
  const planned: ImportResult[] = [];
  const issues: ValidationIssue[] = [];
  try {
    for (const batch of batches) {
      try {
        const plan = await send(batch, true);
        if (counted(plan) !== batch.entries) {
          throw new CliError(
            'usage',
            'The file could not be split into batches the way the server reads it; import it in one request with --batch-size 0',
          );
        }
        planned.push(plan);
      } catch (error) {
        if (!(error instanceof AgentVaultValidationError) || error.code !== 'validation_error') throw error;
        issues.push(...remappedIssues(batch, error.issues));
      }
      bar.advance(batch.entries);
    }
  } finally {
    bar.stop();
  }
  if (issues.length > 0) throw new AgentVaultValidationError('Malformed .env input; nothing was imported', issues);
  if (options.dryRun) return merged(planned, true);

  const writing = startProgress(ctx.io.stderr, total, 'Importing');
  const written: ImportResult[] = [];
  try {
    for (const batch of batches) {
      written.push(await send(batch, false));
      writing.advance(batch.entries);
    }
  } finally {
    writing.stop();
  }
  return merged(written, false);
}

function printSummary(ctx: CommandContext, namespace: string, result: ImportResult): void {
  const where = namespace ? `namespace ${namespace}` : 'the top level';
  const { created, updated, skipped } = result.counts;
  ctx.io.stdout.write(
    result.dryRun
      ? `Dry run into ${where}: nothing was written (would create ${created}, update ${updated}, skip ${skipped})\n`
      : `Imported ${created + updated} secrets into ${where} (${created} created, ${updated} updated), skipped ${skipped}\n`,
  );
  const paths = (items: { path: string }[]) => some(items.map((i) => i.path), 5);
  const exists = result.skipped.filter((s) => s.reason === 'exists');
  const trashed = result.skipped.filter((s) => s.reason === 'trashed');
  const verb = (done: string, would: string) => (result.dryRun ? would : done);
  printTable(
    ctx.io.stdout,
    ['result', 'count', 'paths'],
    [
      [verb('created', 'would create'), result.created.length, paths(result.created)],
      [verb('updated', 'would update'), result.updated.length, paths(result.updated)],
      ['skipped (exists)', exists.length, paths(exists)],
      ['skipped (in trash)', trashed.length, paths(trashed)],
    ],
  );
  // Each entry with the tier it has in the vault (a skipped one: the tier already stored).
  const entries = [
    ...result.secrets.map((s) => ({ ...s, result: verb(s.outcome, `would be ${s.outcome}`) })),
    ...result.skipped.map((s) => ({ ...s, result: `skipped (${s.reason === 'exists' ? 'exists' : 'in trash'})` })),
  ].sort((a, b) => a.line - b.line);
  printTable(ctx.io.stdout, ['path', 'tier', 'result'], entries.map((e) => [e.path, e.tier, e.result]));
  if (exists.length > 0) ctx.io.stderr.write('Existing secrets were left alone; pass --overwrite to update them.\n');
}

export function registerImportCommand(program: Command, io: CliIo): void {
  program
    .command('import')
    .description('import a .env file: each KEY becomes the secret <namespace>/KEY')
    .argument('[file]', '.env file, or - (or nothing) to read stdin')
    .option('-n, --namespace <namespace>', 'put the secrets under this path prefix', '')
    .addOption(tierOption('--tier <tier>', 'tier of every secret without a matching --tier-prefix (default: standard; an overwrite keeps the stored tier)'))
    .option('--tier-prefix <PREFIX=tier>', 'tier for keys starting with PREFIX (longest wins); repeatable', tierPrefix)
    .addOption(typeOption('--type <type>', 'type of every imported secret (default custom)'))
    .option('--dry-run', 'show what would happen, write nothing')
    .option('--overwrite', 'update secrets that already exist (default: skip them)')
    .option('--batch-size <n>', 'entries per request for large files (0: one request)', nonNegativeInt, 200)
    .addHelpText(
      'after',
      `
Examples:
  agentvault import .env --namespace production --tier standard
  cat .env | agentvault import --namespace staging
  agentvault import .env -n production --tier-prefix "DB_=critical" --tier-prefix "STRIPE_=sensitive"
  agentvault import .env -n production --dry-run

Nothing is written if any line is malformed or any path is refused. Files larger than one batch
are checked batch by batch first, then written batch by batch with a progress bar.`,
    )
    .action(
      act<ImportFlags>(io, async (ctx, [file], o) => {
        const text = await readEnvText(ctx, file);
        const options: ImportEnvOptions = {
          namespace: o.namespace,
          tier: o.tier,
          tierByPrefix: o.tierPrefix,
          type: o.type,
          dryRun: o.dryRun === true,
          overwrite: o.overwrite === true,
        };
        const batches =
          o.batchSize === 0 ? [] : envBatches(text, { maxEntries: o.batchSize, maxBytes: BATCH_BYTES });
        const result =
          batches.length > 1
            ? await importBatches(ctx, ctx.vault, batches, options)
            : await ctx.vault.importEnv(text, { ...options, signal: ctx.io.signal });
        if (ctx.json) {
          printJson(ctx.io.stdout, { namespace: o.namespace ?? '', ...result });
        } else {
          printSummary(ctx, o.namespace ?? '', result);
        }
      }),
    );
}
