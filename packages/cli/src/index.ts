export { envAssignment, envBatches, type EnvBatch, envProblem, envSpans, type EnvSpan } from './env-file';
export { CliError, type CliErrorCode, EXIT_CODE_HELP, EXIT_CODES, errorObject, exitCodeFor } from './errors';
export type { CliIo, InStream, OutStream } from './io';
export { CLI_VERSION, createProgram, runCli } from './program';
