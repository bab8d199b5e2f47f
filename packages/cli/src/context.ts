/** What every command gets: the client built from the global options and the environment, and the output mode. */
import { readFileSync } from 'node:fs';
import { AgentVault, DEFAULT_BASE_URL } from '@agentvault/client';
import type { Command } from 'commander';
import { CliError } from './errors';
import type { CliIo } from './io';

export interface GlobalOptions {
  url?: string;
  keyFile?: string;
  json?: boolean;
  timeout?: number;
  retries?: number;
}

export interface CommandContext {
  io: CliIo;
  json: boolean;
  baseUrl: string;
  vault: AgentVault;
}

/** The credential: `--key-file`, else `ASS_AGENT_KEY`, else `AGENTVAULT_TOKEN`. */
function credential(io: CliIo, options: GlobalOptions): string | undefined {
  if (options.keyFile) {
    let text: string;
    try {
      text = readFileSync(options.keyFile, 'utf8');
    } catch (error) {
      throw new CliError('usage', `Cannot read --key-file ${options.keyFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const key = text.trim();
    if (!key) throw new CliError('usage', `--key-file ${options.keyFile} is empty`);
    return key;
  }
  return io.env.ASS_AGENT_KEY || io.env.AGENTVAULT_TOKEN || undefined;
}

export function contextFor(io: CliIo, command: Command): CommandContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  const baseUrl = options.url || io.env.AGENTVAULT_URL || DEFAULT_BASE_URL;
  const vault = new AgentVault({
    baseUrl,
    agentKey: credential(io, options) ?? '',
    timeoutMs: options.timeout ?? 10_000,
    retries: options.retries ?? 3,
  });
  return { io, json: options.json === true, baseUrl, vault };
}
