/**
 * The fetch-style binding: `(Request) → Response`, for any runtime with web-standard requests
 * (Node with a fetch adapter, Bun, Deno, Cloudflare-style workers).
 */
import type { Vault } from '../vault/create-vault';
import { readWebBody } from './body';
import { createRequestHandler, type VaultHandlerOptions } from './handler';

export interface FetchHandlerOptions extends VaultHandlerOptions<Request> {
  /** The path the API is served under, e.g. `/v1`; requests outside it answer 404. Default: the root. */
  basePath?: string;
}

export interface FetchContext {
  /**
   * The client's address as the runtime sees it (e.g. Bun's `server.requestIP(req)`); without it
   * the audit records no ip and IP-bound tokens are refused.
   */
  ip?: string | null;
}

export type VaultFetchHandler = (request: Request, context?: FetchContext) => Promise<Response>;

export function normalizeBasePath(basePath: string | undefined): string {
  if (!basePath || basePath === '/') return '';
  const withSlash = basePath.startsWith('/') ? basePath : `/${basePath}`;
  return withSlash.endsWith('/') ? withSlash.slice(0, -1) : withSlash;
}

/** Create the fetch handler of the vault's HTTP API. */
export function createVaultHandler(vault: Vault, options: FetchHandlerOptions = {}): VaultFetchHandler {
  const handle = createRequestHandler(vault, options);
  const basePath = normalizeBasePath(options.basePath);
  return async (request, context = {}) => {
    const url = new URL(request.url);
    const inside = basePath === '' || url.pathname === basePath || url.pathname.startsWith(`${basePath}/`);
    const rest = inside ? url.pathname.slice(basePath.length) || '/' : url.pathname;
    const response = await handle({
      method: request.method,
      target: rest + url.search,
      unmounted: !inside,
      header: (name) => request.headers.get(name) ?? undefined,
      readBody: (limit) => readWebBody(request, limit),
      socketIp: context.ip ?? null,
      mountPath: basePath,
      native: request,
    });
    return new Response(response.body, { status: response.status, headers: response.headers });
  };
}
