/**
 * A real AgentVault server on a loopback port, and the `agentvault` program run against it: in
 * process for speed, or as the real binary where only a process can show the behaviour.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { AgentVault } from '@agentvault/client';
import { createVault } from '@agentvault/core';
import { createExpressMiddleware } from '@agentvault/core/express';
import { memoryRateLimiter } from '@agentvault/core/http';
import { testKeyWrapper } from '@agentvault/core/testing';
import express from 'express';
import { onTestFinished } from 'vitest';
import { runCli } from '../src/program';

export const BIN = fileURLToPath(new URL('../bin/agentvault.js', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export async function servedVault(options: { rateLimit?: number } = {}) {
  const vault = createVault({ storage: memoryAdapter(), keys: testKeyWrapper(), logger: { warn() {}, error() {} } });
  const adminKey = (await vault.createAgentKey({ roles: ['admin'] })).value;
  const approverKey = (await vault.createAgentKey({ roles: ['approver'] })).value;
  const server = createServer(express().use('/v1', createExpressMiddleware(vault, {
    rateLimiter: options.rateLimit === undefined ? false : memoryRateLimiter({ limit: options.rateLimit, windowSeconds: 60 }),
  })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const client = (agentKey: string) => new AgentVault({ agentKey, baseUrl, retries: 0 });
  return { vault, baseUrl, adminKey, approverKey, admin: client(adminKey), approver: client(approverKey), client };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  key?: string;
  url?: string;
  input?: string;
  env?: Record<string, string>;
}

/** The CLI's environment: only what the test gives it, never the AgentVault settings of the machine. */
function cliEnv(options: CliOptions): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: process.env.HOME };
  if (options.key !== undefined) env.ASS_AGENT_KEY = options.key;
  if (options.url !== undefined) env.AGENTVAULT_URL = options.url;
  return { ...env, ...options.env };
}

/** A stream that keeps what is written to it, off a terminal (as in a pipe). */
function sink(): PassThrough & { isTTY: false; text: () => string } {
  let text = '';
  const stream = Object.assign(new PassThrough(), { isTTY: false as const, text: () => text });
  stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return stream;
}

/** A command running in this process: its output so far, how it ended, and Ctrl-C. */
export interface CliRunning {
  output(): CliRun;
  done: Promise<CliRun>;
  /** What SIGINT and SIGTERM do to the process (main.ts): abort the command's signal. */
  interrupt(): void;
}

/**
 * Run the CLI's program in process (`runCli` with argv, streams, environment and an abort signal
 * of the test's own) — what bin/agentvault.js runs, minus starting a Node process per command.
 */
export function startCli(args: string[], options: CliOptions = {}): CliRunning {
  const stdout = sink();
  const stderr = sink();
  const stdin = Readable.from(options.input === undefined ? [] : [Buffer.from(options.input)]);
  const controller = new AbortController();
  let code: number | null = null;
  const output = () => ({ code, stdout: stdout.text(), stderr: stderr.text() });
  const done = runCli(args, { stdout, stderr, stdin, env: cliEnv(options), signal: controller.signal }).then(
    async (exitCode) => {
      code = exitCode;
      // Let the streams hand over what was written last.
      await new Promise((resolve) => setImmediate(resolve));
      return output();
    },
  );
  onTestFinished(async () => {
    controller.abort();
    await done.catch(() => undefined);
  });
  return { output, done, interrupt: () => controller.abort() };
}

export function cli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return startCli(args, options).done;
}

/** Resolve once `test` holds for the command's output so far (the test's timeout bounds the wait). */
export async function until(running: CliRunning, test: (run: CliRun) => boolean): Promise<CliRun> {
  for (;;) {
    const run = running.output();
    if (test(run)) return run;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The real binary in a child process, for what only a process shows: exit codes, signals, pipes. */
export function spawnBin(args: string[], options: CliOptions & { cwd?: string } = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...cliEnv(options), AGENTVAULT_RUN_SOURCE: '1', CI: '' },
    cwd: options.cwd ?? REPO_ROOT,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.input ?? '');
  const done = new Promise<CliRun>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return Object.assign(child, { output: () => ({ code: child.exitCode, stdout, stderr }), done });
}
