/**
 * AWS KMS failures → AgentVault errors. Classified by the SDK's exception `name` (and a network
 * error's `code`), so this module needs no SDK import and works for any client that throws the
 * way the SDK does.
 */
import {
  AgentVaultConfigurationError,
  AgentVaultError,
  AgentVaultIntegrityError,
  AgentVaultUnavailableError,
} from '@agentvault/core/errors';

/** Retryable: throttled, a KMS-side fault or timeout, a key KMS says to retry on, a transport failure. */
const UNAVAILABLE = new Set([
  'ThrottlingException',
  'KMSInternalException',
  'DependencyTimeoutException',
  // "The request was rejected because the specified KMS key was not available. You can retry."
  'KeyUnavailableException',
  'XksProxyUriUnreachableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'AbortError',
]);

/** The wrapped key was altered, belongs to another key, or is bound to another context. */
const INTEGRITY = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);

/**
 * Set up wrong, and retrying will not help until an operator acts: no permission, no such key,
 * a disabled key or one pending deletion, a key of the wrong type, or credentials KMS rejects.
 */
const CONFIGURATION = new Set([
  'AccessDeniedException',
  'NotFoundException',
  'DisabledException',
  'KMSInvalidStateException',
  'InvalidKeyUsageException',
  'InvalidArnException',
  'InvalidGrantTokenException',
  'UnsupportedOperationException',
  'CustomKeyStoreInvalidStateException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'MissingAuthenticationTokenException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'CredentialsProviderError',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_HTTP2_STREAM_ERROR',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number };
  $response?: unknown;
}

/** What the wrapper was doing, for the message: the operation and the key(s) it named. */
export interface KmsCall {
  operation: 'GenerateDataKey' | 'Encrypt' | 'Decrypt' | 'ReEncrypt';
  /** The key the call used; for ReEncrypt, `source → destination`. */
  key: string;
}

export function awsKmsError(error: unknown, call: KmsCall): AgentVaultError {
  if (error instanceof AgentVaultError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const detail = typeof e.message === 'string' && e.message ? `: ${e.message.split('\n')[0]}` : '';
  const what = `aws-kms: ${call.operation} with key '${call.key}'`;
  const status = e.$metadata?.httpStatusCode;
  if (INTEGRITY.has(name)) {
    return new AgentVaultIntegrityError(
      `${what} was refused (${name}): the wrapped data key was altered, belongs to another key, or is bound to another encryption context`,
      { cause: error },
    );
  }
  if (CONFIGURATION.has(name)) {
    return new AgentVaultConfigurationError(`${what} failed (${name})${detail}`, { cause: error });
  }
  if (
    UNAVAILABLE.has(name)
    || (typeof e.code === 'string' && NETWORK_CODES.has(e.code))
    || e.$fault === 'server'
    || (typeof status === 'number' && status >= 500)
  ) {
    return new AgentVaultUnavailableError(`${what} failed (${name}); retry later${detail}`, { cause: error });
  }
  // A 2xx whose body the SDK could not parse: corrupted or cut short on the way; a retry may succeed.
  if (e.$response !== undefined && typeof status === 'number' && status < 300) {
    return new AgentVaultUnavailableError(`${what}: the response could not be read (${name})`, {
      cause: error,
    });
  }
  return new AgentVaultError(`${what} failed (${name})${detail}`, 'internal_error', 500, { cause: error });
}
