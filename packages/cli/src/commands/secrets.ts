/** get, set, list, versions, rotate, rollback, delete, restore. Only `get` prints a value. */
import type { SecretList, SecretMetadata, SecretType, Tier } from '@agentvault/client';
import { type Command, Option } from 'commander';
import { act } from '../action';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { type CliIo, prompt, readSecretValue } from '../io';
import { printJson, printTable, when } from '../output';
import { instant, nonNegativeInt, pairs, positiveInt, tierOption, typeOption, version } from '../parsers';

const VALUE_HELP = `
The value is read from stdin when it is piped (one trailing newline is dropped unless
--keep-trailing-newline), otherwise from a hidden prompt. It is never taken from the command line
unless you pass --value-from-arg, which leaves it in your shell history and the process list.`;

function valueOptions(command: Command): Command {
  return command
    .option('--keep-trailing-newline', 'keep the trailing newline of a piped value')
    .addOption(
      new Option('--value-from-arg <value>', 'UNSAFE: take the value from the command line (visible in ps and shell history)'),
    )
    .addHelpText('after', VALUE_HELP);
}

interface ValueFlags {
  keepTrailingNewline?: boolean;
  valueFromArg?: string;
}

async function valueFor(io: CliIo, label: string, flags: ValueFlags): Promise<string> {
  return readSecretValue(io, label, { fromArg: flags.valueFromArg, keepTrailingNewline: flags.keepTrailingNewline });
}

function printMetadata(ctx: CommandContext, metadata: SecretMetadata, line: string): void {
  if (ctx.json) printJson(ctx.io.stdout, metadata);
  else ctx.io.stdout.write(`${line}\n`);
}

function listRows(items: SecretMetadata[], trashed: boolean): string[][] {
  return items.map((m) => [
    m.path,
    `v${m.version}${m.latestVersion !== m.version ? ` (latest v${m.latestVersion})` : ''}`,
    m.tier,
    m.type,
    when(m.updatedAt),
    trashed ? when(m.purgeAt) : when(m.expiresAt),
  ]);
}

export function registerSecretCommands(program: Command, io: CliIo): void {
  program
    .command('get')
    .description('print a secret value to stdout (a newline is added only on a terminal)')
    .argument('<path>', 'secret path, e.g. production/openai/api-key')
    .argument('[version]', 'a version number (3 or v3); default the current one')
    .action(
      act(io, async (ctx, [path, at]) => {
        const secret = await ctx.vault.getSecret(path!, {
          version: at === undefined ? undefined : version(at),
          signal: ctx.io.signal,
        });
        if (ctx.json) printJson(ctx.io.stdout, secret);
        else ctx.io.stdout.write(secret.value + (ctx.io.stdout.isTTY ? '\n' : ''));
      }),
    );

  valueOptions(
    program
      .command('set')
      .description('create a secret, or add a version to an existing one')
      .argument('<path>', 'secret path')
      .addOption(tierOption('--tier <tier>', 'access tier (new secrets default to standard)'))
      .addOption(typeOption('--type <type>', 'secret type (new secrets default to custom)'))
      .option('--description <text>', 'a note shown in listings and the audit trail')
      .option('--tag <name=value>', 'a tag; repeat for more', pairs('name=value'))
      .option('--expires-in-days <days>', 'expire this many days from now', positiveInt)
      .option('--expires-at <time>', 'expire at this ISO-8601 time', instant())
      .option('--expected-version <n>', 'check-and-set: fail with 5 unless this is still the current version', positiveInt),
  ).action(
    act<ValueFlags & {
      tier?: Tier;
      type?: SecretType;
      description?: string;
      tag?: Record<string, string>;
      expiresInDays?: number;
      expiresAt?: Date;
      expectedVersion?: number;
    }>(io, async (ctx, [path], o) => {
      const value = await valueFor(ctx.io, `Value for ${path}`, o);
      const metadata = await ctx.vault.setSecret(path!, value, {
        tier: o.tier,
        type: o.type,
        description: o.description,
        tags: o.tag,
        expiresInDays: o.expiresInDays,
        expiresAt: o.expiresAt,
        expectedVersion: o.expectedVersion,
        signal: ctx.io.signal,
      });
      printMetadata(ctx, metadata, `${metadata.path}: version ${metadata.version} (${metadata.tier}, ${metadata.type})`);
    }),
  );

  program
    .command('list')
    .alias('ls')
    .description('list secrets under a namespace (metadata only, never values)')
    .argument('[namespace]', 'a path prefix at a segment boundary, e.g. production/openai', '')
    .option('--limit <n>', 'page size (at most 200)', positiveInt, 50)
    .option('--cursor <cursor>', 'continue from a previous page')
    .option('--all', 'fetch every page')
    .addOption(tierOption('--tier <tier>', 'only this tier'))
    .addOption(typeOption('--type <type>', 'only this type'))
    .option('--tag <key=value>', 'only secrets with this tag; repeat for more (all must match)', pairs('key=value'))
    .option('--trashed', 'list the trash instead (the last column is then the purge time)')
    .action(
      act<{
        limit: number;
        cursor?: string;
        all?: boolean;
        tier?: Tier;
        type?: SecretType;
        tag?: Record<string, string>;
        trashed?: boolean;
      }>(
        io,
        async (ctx, [namespace], o) => {
          let page: SecretList = { items: [], total: 0, ...(o.cursor ? { nextCursor: o.cursor } : {}) };
          const items: SecretMetadata[] = [];
          do {
            page = await ctx.vault.listSecrets(namespace ?? '', {
              limit: o.limit,
              cursor: page.nextCursor,
              tier: o.tier,
              type: o.type,
              tags: o.tag,
              trashed: o.trashed,
              signal: ctx.io.signal,
            });
            items.push(...page.items);
          } while (o.all && page.nextCursor);
          if (ctx.json) {
            printJson(ctx.io.stdout, { items, nextCursor: page.nextCursor ?? null, total: page.total });
            return;
          }
          const head = ['path', 'version', 'tier', 'type', 'updated', o.trashed ? 'purge at' : 'expires'];
          if (items.length > 0) printTable(ctx.io.stdout, head, listRows(items, o.trashed === true));
          ctx.io.stderr.write(`${items.length} of ${page.total} secret${page.total === 1 ? '' : 's'}`);
          ctx.io.stderr.write(page.nextCursor ? `; more with --cursor ${page.nextCursor} or --all\n` : '\n');
        },
      ),
    );

  program
    .command('versions')
    .description('list the versions of a secret')
    .argument('<path>', 'secret path')
    .action(
      act(io, async (ctx, [path]) => {
        const versions = await ctx.vault.listVersions(path!, { signal: ctx.io.signal });
        if (ctx.json) {
          printJson(ctx.io.stdout, { path, versions });
          return;
        }
        printTable(
          ctx.io.stdout,
          ['version', 'created', 'by', 'current', 'retires', 'key'],
          versions.map((v) => [`v${v.version}`, when(v.createdAt), v.createdBy, v.isActive ? 'yes' : '', when(v.retiresAt), v.keyId]),
        );
      }),
    );

  valueOptions(
    program
      .command('rotate')
      .description('make a new value current; the old version stays readable by number for the grace period')
      .argument('<path>', 'secret path')
      .option('--grace-period <seconds>', 'how long the old version stays readable', nonNegativeInt, 0)
      .option('--expected-version <n>', 'check-and-set: fail with 5 unless this is still the current version', positiveInt),
  ).action(
    act<ValueFlags & { gracePeriod: number; expectedVersion?: number }>(io, async (ctx, [path], o) => {
      const value = await valueFor(ctx.io, `New value for ${path}`, o);
      const result = await ctx.vault.rotateSecret(path!, value, {
        gracePeriodSeconds: o.gracePeriod,
        expectedVersion: o.expectedVersion,
        signal: ctx.io.signal,
      });
      if (ctx.json) printJson(ctx.io.stdout, result);
      else
        ctx.io.stdout.write(
          `${result.path}: v${result.oldVersion} → v${result.newVersion}; v${result.oldVersion} readable until ${when(result.expiresAt)}\n`,
        );
    }),
  );

  program
    .command('rollback')
    .description('make an earlier version current again (its value is not re-encrypted)')
    .argument('<path>', 'secret path')
    .argument('<version>', 'the version to make current (3 or v3)')
    .option('--expected-version <n>', 'check-and-set: fail with 5 unless this is still the current version', positiveInt)
    .action(
      act<{ expectedVersion?: number }>(io, async (ctx, [path, to], o) => {
        const metadata = await ctx.vault.rollbackSecret(path!, version(to!), {
          expectedVersion: o.expectedVersion,
          signal: ctx.io.signal,
        });
        printMetadata(ctx, metadata, `${metadata.path}: current version is v${metadata.version} (latest v${metadata.latestVersion})`);
      }),
    );

  program
    .command('delete')
    .alias('rm')
    .description('move a secret to the trash (restorable), or destroy it with --permanent')
    .argument('<path>', 'secret path')
    .option('--permanent', 'destroy every version now; cannot be undone')
    .option('-y, --yes', 'do not ask before a permanent delete')
    .action(
      act<{ permanent?: boolean; yes?: boolean }>(io, async (ctx, [path], o) => {
        if (o.permanent && !o.yes) {
          if (!ctx.io.stdin.isTTY) throw new CliError('usage', 'A permanent delete needs --yes when there is no terminal to ask');
          const answer = await prompt(ctx.io, `Destroy every version of ${path}? This cannot be undone. [y/N] `);
          if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('usage', 'Not deleted');
        }
        await ctx.vault.deleteSecret(path!, { permanent: o.permanent, signal: ctx.io.signal });
        if (ctx.json) printJson(ctx.io.stdout, { path, deleted: true, permanent: o.permanent === true });
        else
          ctx.io.stdout.write(
            o.permanent ? `${path}: destroyed\n` : `${path}: moved to the trash (agentvault restore ${path})\n`,
          );
      }),
    );

  program
    .command('restore')
    .description('bring a secret back from the trash')
    .argument('<path>', 'secret path')
    .action(
      act(io, async (ctx, [path]) => {
        const metadata = await ctx.vault.restoreSecret(path!, { signal: ctx.io.signal });
        printMetadata(ctx, metadata, `${metadata.path}: restored at version ${metadata.version}`);
      }),
    );
}
