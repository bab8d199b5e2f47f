/**
 * Cloud KMS failures → AgentVault errors, by gRPC status code, so this module needs no SDK import.
 * Also decides which failures the wrapper retries: transient ones, and data damaged in transit.
 */
import {
  AgentVaultConfigurationError,
  AgentVaultError,
  AgentVaultIntegrityError,
  AgentVaultUnavailableError,
} from '@agentvault/core/errors';

/** gRPC status codes used below (google.rpc.Code). */
const Code = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Throttled (quota), timed out, aborted, a KMS-side fault, unreachable. */
const TRANSIENT = new Set<number>([
  Code.CANCELLED,
  Code.UNKNOWN,
  Code.DEADLINE_EXCEEDED,
  Code.RESOURCE_EXHAUSTED,
  Code.ABORTED,
  Code.INTERNAL,
  Code.UNAVAILABLE,
]);

/** Set up wrong: no permission, no such key or version, a disabled or destroyed version, bad credentials. */
const CONFIGURATION = new Set<number>([
  Code.NOT_FOUND,
  Code.PERMISSION_DENIED,
  Code.FAILED_PRECONDITION,
  Code.UNAUTHENTICATED,
]);

const CODE_NAMES = Object.fromEntries(Object.entries(Code).map(([name, code]) => [code, name]));

/**
 * A response (or, by the server's word, a request) whose CRC32C did not match its data: damaged
 * in transit. Discarded and retried a limited number of times, as Google's integrity guide says.
 */
export class ChecksumMismatch extends Error {
  override readonly name = 'ChecksumMismatch';
}

interface GrpcErrorShape {
  code?: unknown;
  details?: unknown;
  message?: unknown;
}

function codeOf(error: unknown): number | null {
  const code = (error as GrpcErrorShape | null)?.code;
  return typeof code === 'number' ? code : null;
}

function detailOf(error: unknown): string {
  const e = error as GrpcErrorShape | null;
  const text =
    typeof e?.details === 'string' && e.details ? e.details : typeof e?.message === 'string' ? e.message : '';
  return text.split('\n')[0] ?? '';
}

/** The server refused a request because a checksum we sent did not match the bytes it received. */
function isRequestChecksumRefusal(error: unknown): boolean {
  return codeOf(error) === Code.INVALID_ARGUMENT && /checksum|crc32c/i.test(detailOf(error));
}

/** Worth another attempt: transient, or data damaged in transit. */
export function isRetryableKmsFailure(error: unknown): boolean {
  if (error instanceof ChecksumMismatch || isRequestChecksumRefusal(error)) return true;
  const code = codeOf(error);
  return code !== null && TRANSIENT.has(code);
}

export interface KmsCall {
  operation: 'Encrypt' | 'Decrypt';
  /** The key (CryptoKey or CryptoKeyVersion name) the call was about. */
  key: string;
  attempts: number;
}

export function gcpKmsError(error: unknown, call: KmsCall): AgentVaultError {
  if (error instanceof AgentVaultError) return error;
  const what = `gcp-kms: ${call.operation} with key '${call.key}'`;
  if (error instanceof ChecksumMismatch || isRequestChecksumRefusal(error)) {
    return new AgentVaultIntegrityError(
      `${what}: data failed its CRC32C check in transit on ${call.attempts} attempt(s) and was discarded (${detailOf(error)})`,
      { cause: error },
    );
  }
  const code = codeOf(error);
  const name = code === null ? 'no status' : (CODE_NAMES[code] ?? `code ${code}`);
  const detail = detailOf(error);
  if (code !== null && TRANSIENT.has(code)) {
    return new AgentVaultUnavailableError(
      `${what} failed (${name}) after ${call.attempts} attempt(s); retry later`,
      {
        cause: error,
      },
    );
  }
  if (code === Code.INVALID_ARGUMENT && call.operation === 'Decrypt') {
    return new AgentVaultIntegrityError(
      `${what} was refused (INVALID_ARGUMENT): the wrapped data key was altered, belongs to another key, or is bound to another context`,
      { cause: error },
    );
  }
  if ((code !== null && CONFIGURATION.has(code)) || code === Code.INVALID_ARGUMENT) {
    return new AgentVaultConfigurationError(`${what} failed (${name}): ${detail}`, { cause: error });
  }
  return new AgentVaultError(`${what} failed (${name}): ${detail}`, 'internal_error', 500, { cause: error });
}
