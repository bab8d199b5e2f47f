/** What the Express and Koa bindings share: a Node request as a `ConsoleRequest`, and writing the answer back. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ConsoleRequest, ConsoleResponse } from './handler';

/** Read an urlencoded body, or take what a body parser in front already made of it. */
async function readForm(req: IncomingMessage, limit: number, parsed: () => unknown): Promise<URLSearchParams | null> {
  const already = parsed();
  if (already !== undefined && already !== null && (req.readableEnded || typeof already === 'object')) {
    if (typeof already === 'string' || Buffer.isBuffer(already)) return new URLSearchParams(String(already));
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(already as Record<string, unknown>))
      if (typeof value === 'string') form.append(key, value);
    return form;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export function nodeConsoleRequest<Native>(
  req: IncomingMessage,
  native: Native,
  facts: { target: string; mountPath: string; parsedBody: () => unknown },
): ConsoleRequest<Native> {
  return {
    method: req.method ?? 'GET',
    target: facts.target,
    header: (name) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    readForm: (limit) => readForm(req, limit, facts.parsedBody),
    socketIp: req.socket.remoteAddress ?? null,
    mountPath: facts.mountPath,
    secure: (req.socket as TLSSocket).encrypted === true,
    native,
  };
}

export function writeNodeResponse(res: ServerResponse, response: ConsoleResponse): void {
  res.writeHead(response.status, response.headers);
  res.end(response.body ?? undefined);
}
