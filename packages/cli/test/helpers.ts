/** A real AgentVault server on a loopback port, and the real `agentvault` binary run against it. */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { AgentVault } from '@agentvault/client';
import { createVault } from '@agentvault/core';
import { createExpressMiddleware } from '@agentvault/core/express';
import { memoryRateLimiter } from '@agentvault/core/http';
import { testKeyWrapper } from '@agentvault/core/testing';
import express from 'express';
import { onTestFinished } from 'vitest';

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
  cwd?: string;
}

/** The environment of the child: no inherited AgentVault settings, the source build (so a stale dist never answers). */
function childEnv(options: CliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, AGENTVAULT_RUN_SOURCE: '1' };
  for (const name of ['ASS_AGENT_KEY', 'AGENTVAULT_TOKEN', 'AGENTVAULT_URL', 'CI']) delete env[name];
  if (options.key !== undefined) env.ASS_AGENT_KEY = options.key;
  if (options.url !== undefined) env.AGENTVAULT_URL = options.url;
  return { ...env, ...options.env };
}

/** Start the binary; the caller reads its streams and waits for it. */
export type CliChild = ChildProcessWithoutNullStreams & { output: () => CliRun; done: Promise<CliRun> };

export function spawnCli(args: string[], options: CliOptions = {}): CliChild {
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(options), cwd: options.cwd ?? REPO_ROOT });
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

export function cli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return spawnCli(args, options).done;
}

/** Resolve once `test` holds for the child's output so far. */
export async function until(child: CliChild, test: (run: CliRun) => boolean, timeoutMs = 15_000): Promise<CliRun> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = child.output();
    if (test(run)) return run;
    if (Date.now() > deadline) throw new Error(`Timed out; stdout: ${run.stdout}\nstderr: ${run.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
