/**
 * The fetch-style binding: `(Request) → Response`, for runtimes with web-standard requests. Requests
 * outside `basePath` (default `/console`) answer 404: route only the console's paths to it.
 */
import type { Vault } from '@agentvault/core';
import { type ConsoleOptions, createConsoleRequestHandler } from './handler';
import { normalizeMount } from './mount';

export interface FetchConsoleOptions extends ConsoleOptions<Request> {
  /** Where the console is served. Default `/console`. */
  basePath?: string;
}

export interface FetchConsoleContext {
  /** The client's address as the runtime sees it, for the audit trail. */
  ip?: string | null;
}

export type ConsoleFetchHandler = (request: Request, context?: FetchConsoleContext) => Promise<Response>;

async function readForm(request: Request, limit: number): Promise<URLSearchParams | null> {
  if (!request.body) return new URLSearchParams();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export function createFetchConsole(vault: Vault, options: FetchConsoleOptions = {}): ConsoleFetchHandler {
  const handle = createConsoleRequestHandler(vault, options);
  const basePath = normalizeMount(options.basePath ?? '/console');
  return async (request, context = {}) => {
    const url = new URL(request.url);
    const inside = basePath === '' || url.pathname === basePath || url.pathname.startsWith(`${basePath}/`);
    if (!inside) return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    const response = await handle({
      method: request.method,
      target: (url.pathname.slice(basePath.length) || '/') + url.search,
      header: (name) => request.headers.get(name) ?? undefined,
      readForm: (limit) => readForm(request, limit),
      socketIp: context.ip ?? null,
      mountPath: basePath,
      secure: url.protocol === 'https:',
      native: request,
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers))
      for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
    return new Response(response.body, { status: response.status, headers });
  };
}
