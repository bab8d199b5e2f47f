/**
 * Express 5 binding: `app.use('/v1', createExpressMiddleware(vault))`. It reads the raw body itself
 * (mount it before `express.json()`, or after: a parsed body is used as it is), so limits,
 * JSON errors and validation are the handler's, and every error is our JSON, never an HTML page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Vault } from '../vault/create-vault';
import { createRequestHandler, type VaultHandlerOptions } from './handler';
import { nodeVaultRequest, writeNodeResponse } from './node';

/** The parts of an Express request the binding reads (an `express.Request` fits). */
export interface ExpressRequestLike extends IncomingMessage {
  url: string;
  /** The mount path (`/v1`). */
  baseUrl?: string;
  body?: unknown;
}

export type ExpressVaultMiddleware = (
  req: ExpressRequestLike,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

export function createExpressMiddleware(
  vault: Vault,
  options: VaultHandlerOptions<ExpressRequestLike> = {},
): ExpressVaultMiddleware {
  const handle = createRequestHandler(vault, options);
  return (req, res, next) => {
    const request = nodeVaultRequest(req, req, {
      target: req.url,
      mountPath: req.baseUrl ?? '',
      parsedBody: () => req.body,
    });
    handle(request).then((response) => writeNodeResponse(res, response), next);
  };
}
