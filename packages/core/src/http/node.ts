/** What the Express and Koa bindings share: a Node request as a `VaultRequest`, and writing the answer back. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readNodeBody } from './body';
import type { VaultRequest, VaultResponse } from './handler';

export function nodeVaultRequest<Native>(
  req: IncomingMessage,
  native: Native,
  facts: {
    /** Path and query relative to the mount point. */
    target: string;
    mountPath: string;
    /** What a body parser in front left behind, if it consumed the stream. */
    parsedBody: () => unknown;
  },
): VaultRequest<Native> {
  return {
    method: req.method ?? 'GET',
    target: facts.target,
    header: (name) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    readBody: (limit) => readNodeBody(req, limit, facts.parsedBody),
    socketIp: req.socket.remoteAddress ?? null,
    mountPath: facts.mountPath,
    native,
  };
}

export function writeNodeResponse(res: ServerResponse, response: VaultResponse): void {
  // A known length lets Node send head and body in one write instead of chunked encoding.
  if (response.body !== null) response.headers['content-length'] = String(Buffer.byteLength(response.body));
  res.writeHead(response.status, response.headers);
  res.end(response.body ?? undefined);
}
