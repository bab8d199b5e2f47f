/**
 * Koa binding (Koa 2.14+ and 3): `app.use(createKoaMiddleware(vault, { prefix: '/v1' }))`.
 * Requests outside the prefix go on to `next()`; inside it the handler answers everything, 404s
 * included. The raw body is read here (or taken from a body parser in front), so validation
 * happens in one place.
 */
import type { IncomingMessage } from 'node:http';
import type { Vault } from '../vault/create-vault';
import { normalizeBasePath } from './fetch';
import { createRequestHandler, type VaultHandlerOptions } from './handler';
import { nodeVaultRequest } from './node';

/** The parts of a Koa context the binding uses (a Koa `Context` fits). */
export interface KoaContextLike {
  req: IncomingMessage;
  originalUrl: string;
  status: number;
  body: unknown;
  set(fields: Record<string, string>): void;
  request: object;
}

export interface KoaVaultOptions extends VaultHandlerOptions<KoaContextLike> {
  /** The path the API is served under, e.g. `/v1`. Default: the root. */
  prefix?: string;
}

export type KoaVaultMiddleware = (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<unknown>;

const pathOf = (url: string) => {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
};

export function createKoaMiddleware(vault: Vault, options: KoaVaultOptions = {}): KoaVaultMiddleware {
  const handle = createRequestHandler(vault, options);
  const prefix = normalizeBasePath(options.prefix);
  return async (ctx, next) => {
    const url = ctx.req.url ?? '/';
    const path = pathOf(url);
    if (prefix !== '' && path !== prefix && !path.startsWith(`${prefix}/`)) return next();
    // Behind koa-mount, `url` is already relative to the outer mount point.
    const original = pathOf(ctx.originalUrl);
    const outer = original.endsWith(path) ? original.slice(0, original.length - path.length) : '';
    const request = ctx.request as { body?: unknown; rawBody?: unknown };
    const rest = url.slice(prefix.length);
    const response = await handle(
      nodeVaultRequest(ctx.req, ctx, {
        target: rest.startsWith('/') ? rest : `/${rest}`,
        mountPath: outer + prefix,
        parsedBody: () => request.rawBody ?? request.body,
      }),
    );
    ctx.status = response.status;
    ctx.set(response.headers);
    ctx.body = response.body;
  };
}
