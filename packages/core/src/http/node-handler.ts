/**
 * The `node:http` binding: `createServer(createNodeHandler(vault, { basePath: '/v1' }))`, with no
 * framework and no fetch `Request` in between. Requests outside `basePath` answer 404 in our shape
 * (the handler is the whole server); to share a server with other routes, use Express or Koa.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Vault } from '../vault/create-vault';
import { normalizeBasePath } from './fetch';
import { createRequestHandler, type VaultHandlerOptions } from './handler';
import { nodeVaultRequest, writeNodeResponse } from './node';

export interface NodeHandlerOptions extends VaultHandlerOptions<IncomingMessage> {
  /** The path the API is served under, e.g. `/v1`; requests outside it answer 404. Default: the root. */
  basePath?: string;
}

export type VaultNodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

const noParsedBody = () => undefined;
const INTERNAL_ERROR = JSON.stringify({
  error: { code: 'internal_error', message: 'Internal error; retry with exponential backoff' },
});
const consoleLogger = { error: (message: string, fields: object) => console.error(`[agentvault:http] ${message}`, fields) };

/** Create the `node:http` request listener of the vault's HTTP API. */
export function createNodeHandler(vault: Vault, options: NodeHandlerOptions = {}): VaultNodeHandler {
  const handle = createRequestHandler(vault, options);
  const basePath = normalizeBasePath(options.basePath);
  const logger = options.logger;
  return (req, res) => {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const inside = basePath === '' || path === basePath || path.startsWith(`${basePath}/`);
    const rest = inside ? url.slice(basePath.length) : url;
    const request = nodeVaultRequest(req, req, {
      target: rest === '' || rest.startsWith('?') ? `/${rest}` : rest,
      mountPath: basePath,
      parsedBody: noParsedBody,
    });
    if (!inside) request.unmounted = true;
    handle(request).then(
      (response) => writeNodeResponse(res, response),
      (error: unknown) => {
        // The handler answers every failure itself; this is the last line of defence against a bug
        // (e.g. a host logger that throws), so it must not throw in turn.
        try {
          (logger ?? consoleLogger).error('handler failed', {
            error: error instanceof Error ? error.name : typeof error,
          });
        } catch {
          // nothing left to report to
        }
        if (res.headersSent) {
          res.destroy();
          return;
        }
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(INTERNAL_ERROR);
      },
    );
  };
}
