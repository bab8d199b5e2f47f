/**
 * A progress bar (cli-progress) and a spinner (yocto-spinner) on stderr, drawn only on a terminal:
 * in a pipe or a log they print nothing, so scripts see results and errors only.
 */
import type { Writable } from 'node:stream';
import { SingleBar } from 'cli-progress';
import type { OutStream } from './io';

export interface Progress {
  advance(step: number): void;
  stop(): void;
}

export function startProgress(stream: OutStream & NodeJS.WritableStream, total: number, label: string): Progress {
  if (!stream.isTTY) return { advance() {}, stop() {} };
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {value}/{total} entries ({percentage}%)`,
    barCompleteChar: '#',
    barIncompleteChar: '-',
    hideCursor: true,
    clearOnComplete: true,
    noTTYOutput: false,
  });
  bar.start(total, 0);
  return {
    advance: (step) => bar.increment(step),
    stop: () => bar.stop(),
  };
}

export interface Spinner {
  update(text: string): void;
  stop(finalText?: string): void;
}

/** Draws on a terminal only. yocto-spinner is ESM-only: imported here, so the CJS build loads too. */
export async function startSpinner(stream: OutStream & NodeJS.WritableStream, text: string): Promise<Spinner> {
  if (!stream.isTTY) return { update() {}, stop() {} };
  const { default: yoctoSpinner } = await import('yocto-spinner');
  // Signals are ours (main.ts): an interrupted wait exits 130, not what the spinner would choose.
  const spinner = yoctoSpinner({ text, stream: stream as NodeJS.WritableStream as Writable, handleSignals: false }).start();
  return {
    update: (next) => {
      spinner.text = next;
    },
    stop: (finalText) => {
      if (finalText) spinner.success(finalText);
      else spinner.stop();
    },
  };
}
