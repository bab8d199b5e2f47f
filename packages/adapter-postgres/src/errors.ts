/**
 * Driver errors become AgentVault errors here. Connection loss, server shutdown, timeouts and
 * transient serialization failures are `AgentVaultUnavailableError` (retryable); missing tables
 * are a configuration error; the rest is an internal error naming the adapter. The original error
 * is always kept as `cause`. Messages carry no values: pg puts row contents only in `detail`.
 */
import {
  AgentVaultConfigurationError, AgentVaultConflictError, AgentVaultError, AgentVaultUnavailableError,
} from '@agentvault/core/errors';

const PREFIX = 'postgres';

/**
 * SQLSTATEs after which retrying can succeed: admin/crash shutdown, cannot connect now, idle session
 * timeout, query canceled (statement_timeout), lock_timeout, serialization failure, deadlock, idle in
 * transaction timeout, too many connections; and the classes 08 (connection), 53 (resources), 58 (system).
 */
const TRANSIENT_STATES = new Set(['57P01', '57P02', '57P03', '57P05', '57014', '55P03', '40001', '40P01', '25P03', '53300']);
const TRANSIENT_CLASSES = ['08', '53', '58'];
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
]);
/** Messages pg and pg-pool use for a connection that is gone or never came. */
const CONNECTION_MESSAGES = [
  'Connection terminated', 'connection error and is not queryable', 'Client was closed and is not queryable',
  'timeout exceeded when trying to connect', 'Query read timeout', 'Cannot use a pool after calling end on the pool',
];

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True when the failure is about the connection or server availability, not the statement. */
export function isUnavailable(error: unknown): boolean {
  const state = sqlState(error);
  if (state) return TRANSIENT_STATES.has(state) || TRANSIENT_CLASSES.includes(state.slice(0, 2));
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (error instanceof AggregateError) return error.errors.some(isUnavailable);
  const message = error instanceof Error ? error.message : '';
  return CONNECTION_MESSAGES.some((text) => message.includes(text));
}

/** True when the connection itself cannot be reused (the pool must discard the client). */
export function isBrokenConnection(error: unknown): boolean {
  const state = sqlState(error);
  if (state) return state.startsWith('08') || state.startsWith('57P');
  return isUnavailable(error);
}

export function toAgentVaultError(error: unknown): AgentVaultError {
  if (error instanceof AgentVaultError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isUnavailable(error)) {
    return new AgentVaultUnavailableError(`${PREFIX}: storage unavailable (${message})`, { cause: error });
  }
  const state = sqlState(error);
  // A row with this key exists (an event id, a version number, a token hash): the write lost.
  if (state === '23505') return new AgentVaultConflictError(`${PREFIX}: ${message}`, { cause: error });
  if (state === '42P01' || state === '3F000') {
    return new AgentVaultConfigurationError(
      `${PREFIX}: the AgentVault tables are missing; run \`await adapter.migrate()\` (${message})`,
      { cause: error },
    );
  }
  return new AgentVaultError(`${PREFIX}: ${message}`, 'internal_error', 500, { cause: error });
}
