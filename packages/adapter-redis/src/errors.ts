/**
 * Redis failures as AgentVault errors. Scripts refuse with `AVERR <code> <detail>` before they
 * write anything; a lost or unreachable connection becomes AgentVaultUnavailableError with the
 * driver error as `cause`. Messages name the adapter and never hold values or credentials.
 */
import {
  AgentVaultAuthError,
  AgentVaultConflictError,
  AgentVaultError,
  AgentVaultGoneError,
  AgentVaultNotFoundError,
  AgentVaultUnavailableError,
} from '@agentvault/core/errors';

/** Server replies that mean "not now" rather than "wrong". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;

const DESCRIPTIONS: Record<string, string> = {
  conflict: 'conflicting write',
  not_found: 'not found',
  gone: 'gone',
  auth: 'refused credential',
  duplicate_event: 'an audit event with this id already exists',
};

export function scriptRefusal(error: unknown, context: { path?: string | null } = {}): Error | null {
  const message = error instanceof Error ? error.message : '';
  const match = /^AVERR (\w+) ?([\w .:-]*)/.exec(message);
  if (!match) return null;
  const [, code, rawDetail] = match;
  const detail = rawDetail?.replace(/ script:.*$/, '').trim();
  const text = `redis: ${DESCRIPTIONS[code!] ?? code}${detail ? ` (${detail})` : ''}`;
  const path = context.path ?? null;
  switch (code) {
    case 'conflict':
    case 'duplicate_event':
      return new AgentVaultConflictError(text);
    case 'not_found':
      return new AgentVaultNotFoundError(text, { path });
    case 'gone':
      return new AgentVaultGoneError(text, { path });
    case 'auth':
      return new AgentVaultAuthError(text);
    default:
      return new AgentVaultError(text, 'internal_error', 500);
  }
}

/**
 * The driver error as a cause, without the `command` ioredis attaches to it: its arguments are
 * ciphertexts, credential hashes and event JSON, which have no business in a log.
 */
function bareCause(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const cause = new Error(error.message);
  cause.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) Object.assign(cause, { code });
  return cause;
}

/** Any failure of a client call, as the error the adapter throws. */
export function redisError(error: unknown, context: { path?: string | null } = {}): Error {
  if (error instanceof AgentVaultError) return error;
  const refusal = scriptRefusal(error, context);
  if (refusal) return refusal;
  const message = error instanceof Error ? error.message : String(error);
  const isReply = error instanceof Error && error.name === 'ReplyError';
  if (!isReply || TRANSIENT_REPLY.test(message)) {
    return new AgentVaultUnavailableError(`redis: unavailable (${message})`, { cause: bareCause(error) });
  }
  return new AgentVaultError(`redis: ${message}`, 'internal_error', 500, { cause: bareCause(error) });
}
