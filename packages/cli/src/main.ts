#!/usr/bin/env node
/** The `agentvault` process: real streams, Ctrl-C as an abort signal, the exit code from runCli. */
import { EXIT_CODES } from './errors';
import { runCli } from './program';

const controller = new AbortController();
const onSignal = () => {
  // A second Ctrl-C while the first is being handled ends the process at once.
  if (controller.signal.aborted) process.exit(EXIT_CODES.interrupted);
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// `agentvault list | head`: the reader left, so there is nobody to tell anything more.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  signal: controller.signal,
}).then((code) => {
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.exitCode = code;
});
