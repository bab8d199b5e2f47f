/**
 * Request bodies: read up to a limit (413 past it), then strict UTF-8 and JSON (400 when malformed).
 * Bodies are JSON only: a form or text/plain body is refused, so a cross-site form cannot post to
 * a host that authenticates by cookie.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors';

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export function payloadTooLarge(limit: number): HttpError {
  return new HttpError(413, 'payload_too_large', `Request body is larger than ${limit} bytes`);
}

function declaredTooLarge(contentLength: string | null | undefined, limit: number): boolean {
  return contentLength != null && /^\d+$/.test(contentLength) && Number(contentLength) > limit;
}

/** Read a fetch `Request` body, stopping as soon as it passes `limit`. */
export async function readWebBody(request: Request, limit: number): Promise<Uint8Array> {
  if (declaredTooLarge(request.headers.get('content-length'), limit)) throw payloadTooLarge(limit);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch {
      throw new HttpError(400, 'invalid_request', 'The request body could not be read');
    }
    if (chunk.done) break;
    total += chunk.value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw payloadTooLarge(limit);
    }
    chunks.push(chunk.value);
  }
  return concat(chunks, total);
}

/**
 * Read a Node request body. If middleware in front already consumed the stream (a body parser),
 * fall back to what it left: raw text or bytes as they are, a parsed object as JSON again.
 */
export function readNodeBody(
  req: IncomingMessage,
  limit: number,
  alreadyParsed: () => unknown,
): Promise<Uint8Array> {
  if (req.readableEnded) return Promise.resolve(fromParsed(alreadyParsed(), limit));
  if (declaredTooLarge(req.headers['content-length'], limit)) return Promise.reject(payloadTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > limit) {
        cleanup();
        // Stop reading; the response says `Connection: close`, which drops the rest.
        req.pause();
        reject(payloadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(concat(chunks, total));
    };
    const onError = () => {
      cleanup();
      reject(new HttpError(400, 'invalid_request', 'The request body could not be read'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
  });
}

function fromParsed(parsed: unknown, limit: number): Uint8Array {
  if (parsed === undefined || parsed === null) return new Uint8Array(0);
  const bytes =
    parsed instanceof Uint8Array
      ? parsed
      : Buffer.from(typeof parsed === 'string' ? parsed : JSON.stringify(parsed), 'utf8');
  if (bytes.byteLength > limit) throw payloadTooLarge(limit);
  return bytes;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Parse a JSON body; an empty body is `{}` (so bodiless POSTs such as restore work). */
export function parseJsonBody(bytes: Uint8Array, contentType: string | undefined): unknown {
  if (bytes.byteLength === 0) return {};
  if (!contentType || !JSON_TYPE.test(contentType)) {
    throw new HttpError(
      400,
      'invalid_request',
      'Request bodies must be JSON: send Content-Type: application/json',
    );
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HttpError(400, 'invalid_request', 'Request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message quotes the input, which may hold a secret: never pass it on.
    throw new HttpError(400, 'invalid_request', 'Request body is not valid JSON');
  }
}
