/**
 * The standalone server: the HTTP API at `/v1` on persistent storage, plus what running a vault
 * needs — a maintenance timer, webhooks, health and readiness, metrics, structured logs with request
 * ids, and a graceful shutdown that finishes the requests it accepted.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, createVault, type KeyWrapper, type StorageAdapter, type Vault, webhookNotifier } from '@agentvault/core';
import { createExpressConsole } from '@agentvault/console/express';
import { createExpressMiddleware } from '@agentvault/core/express';
import { memoryRateLimiter } from '@agentvault/core/http';
import express from 'express';
import { bootstrapKeys } from './bootstrap';
import { importModule, type ModuleLoader, openKeys, openStorage } from './backends';
import { describeStorage, type ServerConfig } from './config';
import { readinessProbe } from './health';
import { createLogger, type ServerLogger, vaultLogger } from './logger';
import { createMetrics, routeLabel } from './metrics';

export interface StartOptions {
  logger?: ServerLogger;
  /** How optional backends are imported (tests pass their own). */
  loader?: ModuleLoader;
  /** Where keys minted at the first start are shown (besides the data directory's file). */
  showKeys?: (lines: string[]) => void;
  /** The vault's clock (tests move time to reach expiry warnings and trash retention). */
  clock?: Clock;
}

export interface RunningServer {
  /** The API root, e.g. `http://127.0.0.1:8787/v1`. */
  url: string;
  /** The server's origin, e.g. `http://127.0.0.1:8787`. */
  origin: string;
  vault: Vault;
  /**
   * Stop accepting connections, finish the requests in flight (answering them `Connection:
   * close`), stop maintenance, flush webhooks and close storage — all within the configured bound.
   */
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config);
  const loader = options.loader ?? importModule;
  const warn = (message: string) => logger.warn(message);

  const keys: KeyWrapper = await openKeys(config, warn, loader);
  const storage: StorageAdapter = await openStorage(config, loader);
  const vault = createVault({ storage, keys, logger: vaultLogger(logger), ...(options.clock ? { clock: options.clock } : {}) });
  try {
    await bootstrapKeys(vault, config, logger, options.showKeys);
  } catch (error) {
    await vault.close();
    throw error;
  }

  const notifier = config.webhook
    ? webhookNotifier({
        url: config.webhook.url,
        secret: config.webhook.secret,
        ...(config.webhook.events ? { events: config.webhook.events } : {}),
        onFailure: (delivery, error) =>
          logger.error({ delivery: delivery.id, type: delivery.type, error: error instanceof Error ? error.message : String(error) }, 'webhook delivery given up'),
      })
    : null;
  if (notifier) vault.on(notifier);

  const maintenance = vault.startMaintenance({
    intervalMs: config.maintenanceIntervalSeconds * 1000,
    onReport: (report) => {
      const done = report.purged + report.approvalsExpired + report.warnings + report.rotations.rotated + report.rotations.failed;
      if (done > 0 || report.errors > 0) logger.info({ maintenance: report }, 'maintenance pass');
    },
  });

  const metrics = createMetrics();
  const readiness = readinessProbe(storage, keys);
  let draining = false;
  let inFlight = 0;
  let drained: (() => void) | null = null;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res, next) => {
    const started = performance.now();
    const incoming = req.header('x-request-id');
    const id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', id);
    if (draining) res.setHeader('Connection', 'close');
    inFlight++;
    res.once('close', () => {
      inFlight--;
      const seconds = (performance.now() - started) / 1000;
      const route = routeLabel(new URL(req.originalUrl, 'http://x').pathname);
      metrics.observeRequest(req.method, route, res.statusCode, seconds);
      // Route template only: a path can name a secret, and a query can carry a cursor.
      logger.info({ reqId: id, method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10, completed: res.writableFinished }, 'request');
      if (inFlight === 0) drained?.();
    });
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: draining ? 'draining' : 'ok' });
  });
  app.get('/readyz', (_req, res, next) => {
    if (draining) {
      res.status(503).json({ ready: false, draining: true });
      return;
    }
    readiness().then((result) => res.status(result.ready ? 200 : 503).json(result), next);
  });
  app.get('/metrics', (_req, res, next) => {
    metrics.render().then((text) => res.type(metrics.contentType).send(text), next);
  });
  const server = createServer(app);
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${host}:${address.port}`;
  // Links people open (approve_url, the console) are built from this, never from a request's Host.
  const publicUrl = config.publicUrl ?? origin;
  const rateLimiter = config.rateLimit === 'off' ? false : memoryRateLimiter({ limit: config.rateLimit, windowSeconds: 60 });
  app.use('/v1', createExpressMiddleware(vault, { rateLimiter, logger: vaultLogger(logger), publicUrl }));
  app.use('/console', createExpressConsole(vault, { publicUrl }));
  logger.info(
    { url: `${origin}/v1`, console: `${publicUrl}/console`, storage: describeStorage(config.storage, config.dataDir), keys: keys.name },
    'AgentVault listening',
  );

  let closing: Promise<void> | null = null;
  async function shutdown(): Promise<void> {
    draining = true;
    logger.info({ inFlight }, 'shutting down: no new connections, finishing requests in flight');
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const bound = config.shutdownTimeoutSeconds * 1000;
    const finished = inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve));
    const timedOut = await Promise.race([
      finished.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), bound).unref()),
    ]);
    if (timedOut) logger.warn({ inFlight }, 'shutdown bound reached: closing connections with requests in flight');
    server.closeAllConnections();
    await stopped;
    await maintenance.stop();
    if (notifier) await Promise.race([notifier.flush(), new Promise((resolve) => setTimeout(resolve, bound).unref())]);
    await vault.close();
    await metrics.close();
    logger.info('stopped');
  }

  return {
    url: `${origin}/v1`,
    origin,
    vault,
    close: () => (closing ??= shutdown()),
  };
}
