#!/usr/bin/env node
/** `agentvault-server`: configuration from the environment, then serve until SIGTERM or SIGINT. */
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { startServer } from './server';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`agentvault-server: ${error.message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config);
  let server;
  try {
    server = await startServer(config, {
      logger,
      // On a terminal, the keys minted at the first start are shown once there too.
      showKeys: process.stderr.isTTY ? (lines) => process.stderr.write(`\n${lines.join('\n')}\n\n`) : undefined,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`agentvault-server: ${message}\n`);
    logger.flush();
    process.exit(1);
  }
  let signals = 0;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      // A second signal while draining: stop now.
      if (++signals > 1) process.exit(1);
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ error: error instanceof Error ? error.message : String(error) }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

void main();
