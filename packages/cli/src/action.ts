/** Glue between commander's action signature and the commands: context first, then arguments and options. */
import type { Command, OptionValues } from 'commander';
import { type CommandContext, contextFor } from './context';
import type { CliIo } from './io';

export type Handler<O extends OptionValues> = (ctx: CommandContext, args: (string | undefined)[], options: O) => Promise<void>;

export function act<O extends OptionValues>(io: CliIo, handler: Handler<O>) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args.at(-1) as Command;
    const positionals = args.slice(0, -2) as (string | undefined)[];
    await handler(contextFor(io, command), positionals, command.opts<O>());
  };
}
