/**
 * Express binding (Express 4.18+ and 5): `app.use('/v1', createExpressMiddleware(vault))`. It reads
 * the raw body itself, so limits, JSON errors and validation are the handler's. If the app parses
 * bodies in front of it (`app.use(express.json())`), the parsed body is used as it is, and the
 * binding's error handler answers that parser's failures under the mount point in our JSON, never
 * an HTML page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Vault } from '../vault/create-vault';
import { HttpError } from './errors';
import { createRequestHandler, type VaultHandlerOptions } from './handler';
import { nodeVaultRequest, writeNodeResponse } from './node';

/** The parts of an Express request the binding reads (an `express.Request` fits). */
export interface ExpressRequestLike extends IncomingMessage {
  url: string;
  /** The mount path (`/v1`). */
  baseUrl?: string;
  body?: unknown;
}

type Next = (error?: unknown) => void;

/** The request handler and the error handler, for `app.use(path, …)` (Express flattens the pair). */
export type ExpressVaultMiddleware = [
  (req: ExpressRequestLike, res: ServerResponse, next: Next) => void,
  (error: unknown, req: ExpressRequestLike, res: ServerResponse, next: Next) => void,
];

/** A failure of body-parser (what `express.json()` is) as our refusal; anything else stays an internal error. */
function parserRefusal(error: unknown): unknown {
  const type = (error as { type?: unknown } | null)?.type;
  switch (type) {
    case 'entity.parse.failed':
      return new HttpError(400, 'invalid_request', 'Request body is not valid JSON');
    case 'entity.too.large':
      return new HttpError(413, 'payload_too_large', 'Request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
    case 'entity.verify.failed':
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'stream.not.readable':
      return new HttpError(400, 'invalid_request', 'The request body could not be read');
    default:
      return error;
  }
}

export function createExpressMiddleware(
  vault: Vault,
  options: VaultHandlerOptions<ExpressRequestLike> = {},
): ExpressVaultMiddleware {
  const handle = createRequestHandler(vault, options);
  const request = (req: ExpressRequestLike) =>
    nodeVaultRequest(req, req, { target: req.url, mountPath: req.baseUrl ?? '', parsedBody: () => req.body });
  return [
    (req, res, next) => {
      handle(request(req)).then((response) => writeNodeResponse(res, response), next);
    },
    (error, req, res, next) => {
      if (res.headersSent) return next(error);
      handle({ ...request(req), refusal: parserRefusal(error) }).then(
        (response) => writeNodeResponse(res, response),
        next,
      );
    },
  ];
}
