/**
 * Exit codes by error class, and the JSON shape of an error. A script tells failures apart by the
 * exit code alone; `--json` adds `{"error": {code, message, …}}` with the vault's wire code. No
 * error carries a secret value or a credential: the vault's messages never hold one, and the CLI's
 * own messages name paths and ids only.
 */
import {
  AgentVaultApprovalPendingError,
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
} from '@agentvault/client';

export const EXIT_CODES = {
  ok: 0,
  /** Bad usage, invalid input (422/400), and any failure not listed below. */
  usage: 1,
  unauthorized: 2,
  permissionDenied: 3,
  notFound: 4,
  conflict: 5,
  gone: 6,
  /** The approval is still pending, was denied or expired. */
  approval: 7,
  rateLimited: 8,
  /** 503, no answer, or a timeout. */
  unavailable: 9,
  interrupted: 130,
} as const;

/** The table `--help` and the README print. */
export const EXIT_CODE_HELP = `Exit codes:
  0  ok
  1  usage or validation error (bad arguments, invalid input, 422/400), or another failure
  2  unauthorized (no credential, or an unknown, expired or revoked one)
  3  permission denied (outside the token's scope or tier, or a missing role)
  4  not found
  5  conflict (exists, in the trash, a check-and-set lost, already decided)
  6  gone (expired secret, retired version)
  7  approval pending, denied or expired
  8  rate limited
  9  server unavailable, unreachable or timed out
  130 interrupted`;

export type CliErrorCode =
  | 'usage'
  | 'approval_pending'
  | 'approval_denied'
  | 'approval_expired'
  | 'interrupted';

/** A failure the CLI itself detects (bad arguments, an approval that did not come through). */
export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly exitCode: number;
  readonly details: Record<string, unknown>;

  constructor(code: CliErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.details = details;
    this.exitCode = code === 'usage' ? EXIT_CODES.usage : code === 'interrupted' ? EXIT_CODES.interrupted : EXIT_CODES.approval;
  }
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof AgentVaultApprovalPendingError) return EXIT_CODES.approval;
  if (error instanceof AgentVaultAuthError) return EXIT_CODES.unauthorized;
  if (error instanceof AgentVaultPermissionError) return EXIT_CODES.permissionDenied;
  if (error instanceof AgentVaultNotFoundError) return EXIT_CODES.notFound;
  if (error instanceof AgentVaultConflictError) return EXIT_CODES.conflict;
  if (error instanceof AgentVaultGoneError) return EXIT_CODES.gone;
  if (error instanceof AgentVaultRateLimitError) return EXIT_CODES.rateLimited;
  if (error instanceof AgentVaultUnavailableError || error instanceof AgentVaultNetworkError)
    return EXIT_CODES.unavailable;
  if (isAbort(error)) return EXIT_CODES.interrupted;
  return EXIT_CODES.usage;
}

export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'CanceledError');
}

/** `{code, message, …}` for `--json`: the wire code and the non-secret facts of the error. */
export function errorObject(error: unknown): Record<string, unknown> {
  if (error instanceof CliError) return { code: error.code, message: error.message, ...error.details };
  if (isAbort(error)) return { code: 'interrupted', message: 'Interrupted' };
  if (error instanceof AgentVaultError) {
    const body: Record<string, unknown> = { code: error.code, message: error.message };
    if (error.statusCode) body.status = error.statusCode;
    if (error instanceof AgentVaultPermissionError) {
      body.path = error.path;
      body.requiredScope = error.requiredScope;
    }
    if (error instanceof AgentVaultNotFoundError || error instanceof AgentVaultGoneError) body.path = error.path;
    if (error instanceof AgentVaultValidationError) body.issues = error.issues;
    if (error instanceof AgentVaultRateLimitError) body.retryAfter = error.retryAfter;
    if (error instanceof AgentVaultApprovalPendingError) body.approvalId = error.approvalRequestId;
    return body;
  }
  return { code: 'internal_error', message: error instanceof Error ? error.message : String(error) };
}

/** The lines a person reads on stderr. */
export function errorLines(error: unknown): string[] {
  const body = errorObject(error);
  const lines = [`agentvault: ${String(body.message)} (${String(body.code)})`];
  if (error instanceof AgentVaultValidationError) {
    for (const issue of error.issues) {
      const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      lines.push(`  ${issue.message.startsWith('line ') ? '' : where}${issue.message}`);
    }
  }
  if (error instanceof AgentVaultPermissionError && error.requiredScope)
    lines.push(`  required scope: ${error.requiredScope}`);
  if (error instanceof AgentVaultRateLimitError) lines.push(`  retry after ${error.retryAfter} s`);
  return lines;
}
