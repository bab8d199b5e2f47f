/**
 * The binding to `@google-cloud/kms`: the only module that imports the SDK. It adapts a
 * `KeyManagementServiceClient` (anything with its `encrypt` / `decrypt`) to the plain
 * GcpKmsOperations the wrapper uses, converting the CRC32C `Int64Value` wrappers both ways.
 */
import { KeyManagementServiceClient, type protos } from '@google-cloud/kms';
import type { GcpKmsOperations } from './operations';

type EncryptRequest = protos.google.cloud.kms.v1.IEncryptRequest;
type EncryptResponse = protos.google.cloud.kms.v1.IEncryptResponse;
type DecryptRequest = protos.google.cloud.kms.v1.IDecryptRequest;
type DecryptResponse = protos.google.cloud.kms.v1.IDecryptResponse;

/** Per-call options the binding passes: a deadline, and no retries by the library (the wrapper retries). */
export interface KmsCallOptions {
  timeout?: number;
  retry?: null;
}

/** What the binding needs of a Cloud KMS client; a `KeyManagementServiceClient` is one. */
export interface KmsGrpcClient {
  encrypt(request: EncryptRequest, options?: KmsCallOptions): Promise<[EncryptResponse, ...unknown[]]>;
  decrypt(request: DecryptRequest, options?: KmsCallOptions): Promise<[DecryptResponse, ...unknown[]]>;
}

function checksum(field: { value?: unknown } | null | undefined): number | null {
  const value = field?.value;
  if (value === null || value === undefined) return null;
  const number = Number(typeof value === 'object' ? String(value) : value);
  return Number.isSafeInteger(number) ? number : null;
}

function bytes(value: Uint8Array | string | null | undefined): Uint8Array {
  if (value instanceof Uint8Array) return value;
  return typeof value === 'string' ? Buffer.from(value, 'base64') : new Uint8Array(0);
}

export interface ClientOperationsOptions {
  /** Deadline of each attempt in ms. Default 10,000. */
  timeoutMs?: number;
}

export function kmsClientOperations(
  client: KmsGrpcClient,
  options: ClientOperationsOptions = {},
): GcpKmsOperations {
  const callOptions: KmsCallOptions = { timeout: options.timeoutMs ?? 10_000, retry: null };
  return {
    async encrypt(request) {
      const [response] = await client.encrypt(
        {
          name: request.name,
          plaintext: request.plaintext,
          additionalAuthenticatedData: request.additionalAuthenticatedData,
          plaintextCrc32c: { value: request.plaintextCrc32c },
          additionalAuthenticatedDataCrc32c: { value: request.additionalAuthenticatedDataCrc32c },
        },
        callOptions,
      );
      return {
        name: response.name ?? '',
        ciphertext: bytes(response.ciphertext),
        ciphertextCrc32c: checksum(response.ciphertextCrc32c),
        verifiedPlaintextCrc32c: response.verifiedPlaintextCrc32c === true,
        verifiedAdditionalAuthenticatedDataCrc32c:
          response.verifiedAdditionalAuthenticatedDataCrc32c === true,
      };
    },
    async decrypt(request) {
      const [response] = await client.decrypt(
        {
          name: request.name,
          ciphertext: request.ciphertext,
          additionalAuthenticatedData: request.additionalAuthenticatedData,
          ciphertextCrc32c: { value: request.ciphertextCrc32c },
          additionalAuthenticatedDataCrc32c: { value: request.additionalAuthenticatedDataCrc32c },
        },
        callOptions,
      );
      return { plaintext: bytes(response.plaintext), plaintextCrc32c: checksum(response.plaintextCrc32c) };
    },
  };
}

/** A client made from options (`{}` uses Application Default Credentials and the public endpoint). */
export function kmsClient(
  clientOptions: ConstructorParameters<typeof KeyManagementServiceClient>[0],
): KeyManagementServiceClient {
  return new KeyManagementServiceClient(clientOptions);
}
