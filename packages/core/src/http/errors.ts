/**
 * Errors on the wire: every failure becomes `{"error": {"code", "message", …}}` with the seed's
 * codes. Internal failures (integrity, configuration, bugs) answer a generic 500 and are logged;
 * no message ever holds a value or a credential, and no stack trace leaves the process.
 */
import {
  AgentVaultError,
  AgentVaultGoneError,
  AgentVaultNotFoundError,
  AgentVaultPermissionError,
  AgentVaultRateLimitError,
  AgentVaultValidationError,
  type ErrorCode,
  type ValidationIssue,
} from '../errors';
import type { Logger } from '../vault/runtime';

/** A refusal the HTTP layer itself makes (bad JSON, an unknown route, a body too large). */
export class HttpError extends AgentVaultError {
  readonly issues: ValidationIssue[];

  constructor(statusCode: number, code: ErrorCode, message: string, issues: ValidationIssue[] = []) {
    super(message, code, statusCode);
    this.issues = issues;
  }
}

export interface WireIssue {
  /** Field names and indexes on the wire (snake_case), e.g. `["tags", "team"]`. */
  path: (string | number)[];
  /** The same path joined with dots, e.g. `tags.team`, or `""` for the body itself. */
  field: string;
  message: string;
}

export interface WireError {
  code: string;
  message: string;
  [field: string]: unknown;
}

export interface ErrorResponse {
  status: number;
  body: { error: WireError };
  /** Seconds, for the `Retry-After` header. */
  retryAfter?: number;
}

const camelToSnake = (key: string) => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
const detailKey = (key: string) => (/^[a-z][A-Za-z0-9]*$/.test(key) ? camelToSnake(key) : key);

/**
 * Vault issues name in-process (camelCase) fields; the wire names them in snake_case. Only the
 * first element is a field name of ours: later ones may be data (a tag key) or indexes.
 */
export function toWireIssues(issues: readonly ValidationIssue[]): WireIssue[] {
  return issues.map((issue) => {
    const [first, ...rest] = issue.path;
    const path = first === undefined ? [] : [typeof first === 'string' ? detailKey(first) : first, ...rest];
    return { path, field: path.join('.'), message: issue.message };
  });
}

const INTERNAL = new Set<ErrorCode>([
  'internal_error',
  'integrity_error',
  'configuration_error',
  'network_error',
]);

export interface ErrorMappingOptions {
  logger: Logger;
  /** `Retry-After` for a 503 whose error names no delay. */
  unavailableRetryAfterSeconds: number;
}

/** Map anything thrown while serving a request to its status and wire body. */
export function errorResponse(error: unknown, options: ErrorMappingOptions): ErrorResponse {
  if (!(error instanceof AgentVaultError) || INTERNAL.has(error.code) || error.statusCode < 400) {
    options.logger.error('request failed', describeInternal(error));
    return {
      status: 500,
      body: { error: { code: 'internal_error', message: 'Internal error; retry with exponential backoff' } },
    };
  }
  const wire: WireError = { code: error.code, message: error.message };
  for (const [key, value] of Object.entries(error.details)) wire[detailKey(key)] = value;
  let retryAfter: number | undefined;
  if (error instanceof AgentVaultValidationError || error instanceof HttpError) {
    if (error.issues.length > 0 || error instanceof AgentVaultValidationError)
      wire.issues = toWireIssues(error.issues);
  }
  if (error instanceof AgentVaultPermissionError) {
    wire.path = error.path;
    wire.required_scope = error.requiredScope;
  } else if (error instanceof AgentVaultNotFoundError || error instanceof AgentVaultGoneError) {
    if (error.path !== null) wire.path = error.path;
  } else if (error instanceof AgentVaultRateLimitError) {
    retryAfter = Math.max(1, Math.ceil(error.retryAfter));
    wire.retry_after = retryAfter;
  }
  if (error.code === 'unavailable') {
    const named = error.details.retryAfter;
    retryAfter =
      typeof named === 'number' && named > 0 ? Math.ceil(named) : options.unavailableRetryAfterSeconds;
  }
  return { status: error.statusCode, body: { error: wire }, ...(retryAfter ? { retryAfter } : {}) };
}

/** What an operator may see about an internal failure: its class and code and message, never a value. */
function describeInternal(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: typeof error };
  const fields: Record<string, unknown> = { error: error.name, message: error.message };
  if (error instanceof AgentVaultError) fields.code = error.code;
  if (error.cause instanceof Error) fields.cause = `${error.cause.name}: ${error.cause.message}`;
  return fields;
}
