/**
 * The process around a command: streams, environment and an abort signal (Ctrl-C). Results go to
 * stdout; progress, spinners, prompts and messages for people go to stderr, so `$(agentvault get …)`
 * captures the value and nothing else.
 */
import { read } from 'read';
import { CliError } from './errors';

export interface OutStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface InStream extends NodeJS.ReadableStream {
  isTTY?: boolean;
}

export interface CliIo {
  stdout: OutStream & NodeJS.WritableStream;
  stderr: OutStream & NodeJS.WritableStream;
  stdin: InStream;
  env: Record<string, string | undefined>;
  /** Aborted on SIGINT / SIGTERM. */
  signal: AbortSignal;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Ctrl-C at a prompt: `read` rejects with "canceled". */
function canceled(error: unknown): never {
  if (error instanceof Error && error.message === 'canceled') throw new CliError('interrupted', 'Interrupted');
  throw error;
}

/** Ask on stderr without echoing what is typed. */
export async function promptHidden(io: CliIo, message: string): Promise<string> {
  try {
    return String(await read({ prompt: message, silent: true, replace: '', input: io.stdin, output: io.stderr }).catch(canceled));
  } finally {
    io.stderr.write('\n'); // the Enter (or Ctrl-C) was not echoed either
  }
}

/** Ask on stderr, with echo (for a y/N confirmation). */
export async function prompt(io: CliIo, message: string): Promise<string> {
  return String(await read({ prompt: message, input: io.stdin, output: io.stderr }).catch(canceled));
}

/**
 * A secret value the way a person or a script gives it: piped on stdin (one trailing newline
 * removed unless `keepTrailingNewline`), or typed at a hidden prompt. Never from argv unless the
 * caller opted in with `--value-from-arg`.
 */
export async function readSecretValue(
  io: CliIo,
  label: string,
  options: { fromArg?: string; keepTrailingNewline?: boolean },
): Promise<string> {
  if (options.fromArg !== undefined) {
    io.stderr.write('agentvault: warning: a value given on the command line can be seen in the process list and shell history\n');
    return options.fromArg;
  }
  if (io.stdin.isTTY) return promptHidden(io, `${label}: `);
  const text = await readAll(io.stdin);
  return options.keepTrailingNewline ? text : text.replace(/\r?\n$/, '');
}
