/**
 * Koa 3 binding: `app.use(createKoaConsole(vault, { prefix: '/console' }))`. Requests outside the
 * prefix go on to `next()`; inside it the console answers everything, 404s included.
 */
import type { IncomingMessage } from 'node:http';
import type { Vault } from '@agentvault/core';
import { type ConsoleOptions, createConsoleRequestHandler } from './handler';
import { nodeConsoleRequest } from './node';
import { normalizeMount } from './mount';

/** The parts of a Koa context the binding uses (a Koa `Context` fits). */
export interface KoaContextLike {
  req: IncomingMessage;
  originalUrl: string;
  status: number;
  body: unknown;
  set(fields: Record<string, string | string[]>): void;
  request: object;
}

export interface KoaConsoleOptions extends ConsoleOptions<KoaContextLike> {
  /** Where the console is served. Default `/console`. */
  prefix?: string;
}

export type KoaConsoleMiddleware = (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<unknown>;

const pathOf = (url: string) => {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
};

export function createKoaConsole(vault: Vault, options: KoaConsoleOptions = {}): KoaConsoleMiddleware {
  const handle = createConsoleRequestHandler(vault, options);
  const prefix = normalizeMount(options.prefix ?? '/console');
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
      nodeConsoleRequest(ctx.req, ctx, {
        target: rest.startsWith('/') ? rest : `/${rest}`,
        mountPath: outer + prefix,
        parsedBody: () => request.rawBody ?? request.body,
      }),
    );
    ctx.status = response.status;
    ctx.set(response.headers);
    ctx.body = response.body ?? '';
  };
}
