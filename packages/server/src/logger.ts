/**
 * Structured JSON logs (pino). What is logged is chosen field by field: request method, route
 * template, status, duration and request id — never a header, a body, a query string, a value or a
 * credential. `redact` is the second line of defence for fields a caller passes by mistake.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import type { ServerConfig } from './config';

export type ServerLogger = PinoLogger;

export function createLogger(config: Pick<ServerConfig, 'logLevel'>, destination?: NodeJS.WritableStream): ServerLogger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'agentvault' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['value', '*.value', 'token', '*.token', 'authorization', '*.authorization', 'headers', '*.headers', 'key', '*.key'],
        censor: '[redacted]',
      },
    },
    destination ?? process.stdout,
  );
}

/** The vault's Logger interface on pino. */
export function vaultLogger(logger: ServerLogger) {
  return {
    warn: (message: string, fields?: Record<string, unknown>) => logger.warn(fields ?? {}, message),
    error: (message: string, fields?: Record<string, unknown>) => logger.error(fields ?? {}, message),
  };
}
