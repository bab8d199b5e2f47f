/**
 * One HTTP exchange with retries: exponential backoff on 429, 5xx and network failures (a 429 or
 * 503 waits what `Retry-After` says), never on another 4xx. Errors come back as the typed classes
 * of `@agentvault/core/errors`, built from the server's `{"error": {…}}` body.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AgentVaultAuthError,
  AgentVaultConflictError,
  AgentVaultError,
  AgentVaultGoneError,
  AgentVaultNetworkError,
  AgentVaultNotFoundError,
  AgentVaultPermissionError,
  AgentVaultRateLimitError,
  AgentVaultUnavailableError,
  AgentVaultValidationError,
  type ErrorCode,
  type ValidationIssue,
} from '@agentvault/core/errors';

export interface TransportOptions {
  baseUrl: string;
  credential: string | undefined;
  timeoutMs: number;
  retries: number;
  retryDelay: number;
  userAgent: string;
}

export interface CallOptions {
  /** Use this scoped token (or agent key) for this call instead of the client's agent key. */
  token?: string;
  /** Abort the call (and its retries). */
  signal?: AbortSignal;
}

export interface Exchange {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path under the base URL, already encoded. */
  path: string;
  query?: Record<string, string | number | boolean | string[] | null | undefined>;
  body?: unknown;
}

interface WireError {
  code?: string;
  message?: string;
  path?: string | null;
  required_scope?: string | null;
  retry_after?: number;
  issues?: { path?: (string | number)[]; message?: string }[];
}

function queryString(query: Exchange['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    for (const one of Array.isArray(value) ? value : [value]) params.append(key, String(one));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Seconds from `Retry-After` (delta seconds or an HTTP date), if it has a usable value. */
function retryAfterSeconds(header: string | null): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, (at - Date.now()) / 1000);
}

/** The typed error for a refusal the server answered. */
export function errorFromResponse(status: number, body: unknown, retryAfter: number | null): AgentVaultError {
  const wire: WireError =
    body && typeof body === 'object' && 'error' in body && body.error && typeof body.error === 'object'
      ? (body.error as WireError)
      : {};
  const message = wire.message ?? `HTTP ${status} from the AgentVault server`;
  const code = wire.code;
  if (status === 401 || code === 'unauthorized') return new AgentVaultAuthError(message);
  if (status === 403 || code === 'permission_denied')
    return new AgentVaultPermissionError(message, { path: wire.path, requiredScope: wire.required_scope });
  if (status === 404 || code === 'not_found')
    return new AgentVaultNotFoundError(message, { path: wire.path });
  if (status === 409 || code === 'conflict') return new AgentVaultConflictError(message);
  if (status === 410 || code === 'gone') return new AgentVaultGoneError(message, { path: wire.path });
  if (status === 422 || status === 400 || code === 'validation_error' || code === 'invalid_request') {
    const issues: ValidationIssue[] = (wire.issues ?? []).map((issue) => ({
      path: issue.path ?? [],
      message: issue.message ?? '',
    }));
    return new AgentVaultValidationError(message, issues, { malformed: status === 400 });
  }
  if (status === 429 || code === 'rate_limited')
    return new AgentVaultRateLimitError(message, retryAfter ?? wire.retry_after ?? 1);
  if (status === 503 || code === 'unavailable') return new AgentVaultUnavailableError(message);
  const known: ErrorCode = code === 'payload_too_large' ? 'payload_too_large' : 'internal_error';
  return new AgentVaultError(message, known, status);
}

const retryable = (status: number) => status === 429 || status >= 500;

export function createTransport(options: TransportOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');

  /** Wait before attempt `attempt + 1`: what the server asked for, else exponential backoff with jitter. */
  function delayMs(attempt: number, retryAfter: number | null): number {
    if (retryAfter !== null) return retryAfter * 1000;
    return options.retryDelay * 2 ** attempt * (0.75 + Math.random() / 4);
  }

  async function send<T>(exchange: Exchange, call: CallOptions = {}): Promise<{ status: number; body: T }> {
    const credential = call.token ?? options.credential;
    if (!credential) {
      throw new AgentVaultAuthError(
        'No credential: pass agentKey (or set ASS_AGENT_KEY), or a token for this call',
      );
    }
    const headers: Record<string, string> = {
      'authorization': `Bearer ${credential}`,
      'accept': 'application/json',
      'user-agent': options.userAgent,
    };
    const payload = exchange.body === undefined ? undefined : JSON.stringify(exchange.body);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const url = `${base}${exchange.path}${queryString(exchange.query)}`;

    for (let attempt = 0; ; attempt++) {
      call.signal?.throwIfAborted();
      const timeout = AbortSignal.timeout(options.timeoutMs);
      const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
      let failure: AgentVaultError;
      let retryAfter: number | null = null;
      try {
        const response = await fetch(url, { method: exchange.method, headers, body: payload, signal });
        const text = await response.text();
        let body: unknown = null;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          body = null;
        }
        if (response.ok) return { status: response.status, body: body as T };
        retryAfter = retryAfterSeconds(response.headers.get('retry-after'));
        failure = errorFromResponse(response.status, body, retryAfter);
        if (!retryable(response.status)) throw failure;
      } catch (error) {
        if (error instanceof AgentVaultError) throw error;
        if (call.signal?.aborted) throw call.signal.reason;
        failure = new AgentVaultNetworkError(
          timeout.aborted
            ? `No answer from ${base} within ${options.timeoutMs} ms`
            : `Could not reach ${base}`,
          { cause: error },
        );
      }
      if (attempt >= options.retries) throw failure;
      try {
        await sleep(
          delayMs(attempt, retryAfter),
          undefined,
          call.signal ? { signal: call.signal } : undefined,
        );
      } catch (error) {
        throw call.signal?.aborted ? call.signal.reason : error;
      }
    }
  }

  return { send };
}

export type Transport = ReturnType<typeof createTransport>;
