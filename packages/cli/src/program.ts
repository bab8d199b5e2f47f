/** The `agentvault` program: global options, every command, and one place that turns errors into exit codes. */
import { Command, CommanderError, Option } from 'commander';
import { registerApprovalCommands } from './commands/approvals';
import { registerAuditCommand } from './commands/audit';
import { registerExportCommand } from './commands/export';
import { registerImportCommand } from './commands/import';
import { registerKeygenCommand } from './commands/keygen';
import { registerSecretCommands } from './commands/secrets';
import { registerTokenCommands } from './commands/tokens';
import { errorLines, errorObject, EXIT_CODE_HELP, EXIT_CODES, exitCodeFor } from './errors';
import type { CliIo } from './io';
import { printJson, safe } from './output';
import { positiveInt, nonNegativeInt } from './parsers';

export const CLI_VERSION = '0.1.0';

const ENV_HELP = `
Configuration (flags win over the environment):
  AGENTVAULT_URL    the API root, mount point included (default http://127.0.0.1:8787/v1)
  ASS_AGENT_KEY     an agent key (ass_live_…) or a scoped token (ast_tok_…); AGENTVAULT_TOKEN also works
  --key-file <path> read the key or token from a file instead (never pass one on the command line)

Output: results go to stdout, messages and progress to stderr. With --json, stdout holds one JSON
document (audit --follow: one per line); a failure prints {"error": {"code", "message", …}} there
and never a value. Only get, export and a granted token print a secret.

${EXIT_CODE_HELP}`;

/** With `quietErrors`, commander prints no usage error of its own (`--json` prints one as JSON). */
export function createProgram(io: CliIo, options: { quietErrors?: boolean } = {}): Command {
  const program = new Command('agentvault')
    .description('The AgentVault command line: secrets, tokens, approvals and the audit trail of an AgentVault server.')
    .version(CLI_VERSION, '-V, --version')
    .addOption(new Option('--url <url>', 'API root (default: $AGENTVAULT_URL or http://127.0.0.1:8787/v1)'))
    .option('--key-file <path>', 'read the agent key or token from this file (default: $ASS_AGENT_KEY)')
    .option('--json', 'machine-readable output on stdout')
    .option('--timeout <ms>', 'per-request timeout', positiveInt, 10_000)
    .option('--retries <n>', 'retries on 429, 5xx and network errors', nonNegativeInt, 3)
    .addHelpText('after', ENV_HELP)
    .showHelpAfterError(options.quietErrors ? false : '(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      ...(options.quietErrors ? { outputError: () => {} } : {}),
    })
    .exitOverride();

  registerImportCommand(program, io);
  registerExportCommand(program, io);
  registerSecretCommands(program, io);
  registerTokenCommands(program, io);
  registerApprovalCommands(program, io);
  registerAuditCommand(program, io);
  registerKeygenCommand(program, io);
  // Subcommands inherit exitOverride, the output streams and showHelpAfterError from the program.
  return program;
}

/** Run the CLI with `argv` (without node and the script) and return the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const program = createProgram(io, { quietErrors: json });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_CODES.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT_CODES.ok; // --help, --version
      if (json) printJson(io.stdout, { error: { code: 'usage', message: error.message.replace(/^error: /, '') } });
      return EXIT_CODES.usage;
    }
    if (json) printJson(io.stdout, { error: errorObject(error) });
    else io.stderr.write(`${errorLines(error).map(safe).join('\n')}\n`);
    return exitCodeFor(error);
  }
}
