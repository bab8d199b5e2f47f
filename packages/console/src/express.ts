/**
 * Express 5 binding: `app.use('/console', createExpressConsole(vault))`. Mount it before any body
 * parser, or let an `express.urlencoded()` in front parse the forms: both work.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Vault } from '@agentvault/core';
import { type ConsoleOptions, createConsoleRequestHandler } from './handler';
import { nodeConsoleRequest, writeNodeResponse } from './node';

/** The parts of an Express request the binding reads (an `express.Request` fits). */
export interface ExpressRequestLike extends IncomingMessage {
  url: string;
  /** The mount path (`/console`). */
  baseUrl?: string;
  body?: unknown;
}

export type ExpressConsoleMiddleware = (req: ExpressRequestLike, res: ServerResponse, next: (error?: unknown) => void) => void;

export function createExpressConsole(vault: Vault, options: ConsoleOptions<ExpressRequestLike> = {}): ExpressConsoleMiddleware {
  const handle = createConsoleRequestHandler(vault, options);
  return (req, res, next) => {
    const request = nodeConsoleRequest(req, req, { target: req.url, mountPath: req.baseUrl ?? '', parsedBody: () => req.body });
    handle(request).then((response) => writeNodeResponse(res, response), next);
  };
}
