/**
 * `agentvault export [namespace]`: the secrets directly under a namespace as .env text on stdout
 * (never to a file: redirect it yourself, and mind where it lands). Each value is quoted so that
 * `agentvault import --namespace <same>` reads back the same value. Every read is audited.
 */
import { AgentVaultGoneError, type SecretMetadata } from '@agentvault/client';
import type { Command } from 'commander';
import { act } from '../action';
import { CliError } from '../errors';
import { envAssignment, envProblem } from '../env-file';
import type { CliIo } from '../io';
import { printJson, when } from '../output';

export function registerExportCommand(program: Command, io: CliIo): void {
  program
    .command('export')
    .description('print the secrets directly under a namespace as .env text on stdout (values included)')
    .argument('[namespace]', 'path prefix; each secret <namespace>/KEY becomes KEY=…', '')
    .addHelpText(
      'after',
      `
Secrets deeper than one segment below the namespace (a .env name cannot hold "/") and expired
secrets are left out and named on stderr. A value that no .env quoting can carry unchanged (one
ending in a backslash, or a carriage return next to every kind of quote) fails the export (exit 1)
before anything is printed. Round trip:
  agentvault export production > prod.env && agentvault import prod.env -n production-copy`,
    )
    .action(
      act(io, async (ctx, [namespace = '']) => {
        const prefix = namespace ? `${namespace}/` : '';
        const direct: SecretMetadata[] = [];
        const nested: string[] = [];
        let cursor: string | null = null;
        do {
          const page = await ctx.vault.listSecrets(namespace, { limit: 200, cursor, signal: ctx.io.signal });
          for (const item of page.items) {
            const key = item.path.slice(prefix.length);
            if (!item.path.startsWith(prefix) || key === '' || key.includes('/')) nested.push(item.path);
            else direct.push(item);
          }
          cursor = page.nextCursor ?? null;
        } while (cursor);

        const entries: { key: string; path: string; version: number; value: string }[] = [];
        const expired: string[] = [];
        const unwritable: string[] = [];
        for (const item of direct) {
          let secret;
          try {
            secret = await ctx.vault.getSecret(item.path, { signal: ctx.io.signal });
          } catch (error) {
            if (error instanceof AgentVaultGoneError) {
              expired.push(item.path);
              continue;
            }
            throw error;
          }
          const problem = envProblem(secret.value);
          if (problem) unwritable.push(`${item.path} (${problem})`);
          entries.push({ key: item.path.slice(prefix.length), path: item.path, version: secret.version, value: secret.value });
        }
        if (unwritable.length > 0) {
          throw new CliError('usage', `No .env quoting carries these values unchanged: ${unwritable.join(', ')}`, {
            paths: unwritable,
          });
        }

        if (ctx.json) {
          printJson(ctx.io.stdout, { namespace, entries, skipped: { nested, expired } });
        } else {
          const lines = [`# agentvault export of ${namespace ? `namespace ${namespace}` : 'the top level'}, ${when(new Date())}`];
          for (const entry of entries) lines.push(envAssignment(entry.key, entry.value));
          ctx.io.stdout.write(`${lines.join('\n')}\n`);
        }
        if (nested.length > 0)
          ctx.io.stderr.write(`Left out ${nested.length} secret(s) below a sub-namespace (export that namespace): ${nested.join(', ')}\n`);
        if (expired.length > 0) ctx.io.stderr.write(`Left out ${expired.length} expired secret(s): ${expired.join(', ')}\n`);
      }),
    );
}
