/**
 * vitest global setup: a three-node Redis Cluster on free loopback ports in a temp dir, for the
 * cluster conformance run; stopped (by port) and removed after. Without redis-server the cluster
 * tests skip with the reason (and fail under CI=true).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);

export interface ClusterInfo {
  ports: number[];
  /** Why there is no cluster, or null. */
  skipped: string | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisCluster: ClusterInfo;
  }
}

const free = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** Three ports whose cluster bus ports (+10000) are free as well. */
async function freePorts(): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < 3 && tries < 200; tries++) {
    const port = 20000 + Math.floor(Math.random() * 9000);
    if (!ports.includes(port) && (await free(port)) && (await free(port + 10000))) ports.push(port);
  }
  if (ports.length < 3) throw new Error('no free loopback ports for a Redis Cluster');
  return ports;
}

async function clusterOk(port: number): Promise<boolean> {
  try {
    const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
    return stdout.includes('cluster_state:ok');
  } catch {
    return false;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    await run('redis-server', ['--version']);
  } catch {
    const reason = 'redis-server is not installed (apt-get install redis-server)';
    if (process.env.CI === 'true') throw new Error(`${reason}: the Redis Cluster tests cannot run in CI without it`);
    project.provide('redisCluster', { ports: [], skipped: reason });
    return async () => undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'agentvault-redis-cluster-'));
  const ports = await freePorts();
  const stop = async () => {
    await Promise.all(ports.map((p) => run('redis-cli', ['-p', String(p), 'shutdown', 'nosave']).catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      await run('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
        '--cluster-config-file', `nodes-${port}.conf`, '--save', '', '--appendonly', 'no',
        '--daemonize', 'yes', '--dir', dir, '--logfile', join(dir, `${port}.log`),
      ]);
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 20_000;
    while (!(await Promise.all(ports.map(clusterOk))).every(Boolean)) {
      if (Date.now() > deadline) throw new Error('the Redis Cluster did not reach cluster_state:ok in 20 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  project.provide('redisCluster', { ports, skipped: null });
  return stop;
}
