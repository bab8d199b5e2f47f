/**
 * The two Cloud KMS operations the wrapper uses, with plain inputs and outputs, CRC32C fields
 * included so the wrapper computes and checks every one of them. `kmsClientOperations` adapts a
 * `KeyManagementServiceClient` to this; a test or another transport can pass a plain object.
 * Failures are thrown as the client throws them (an error with a numeric gRPC `code`), so
 * `gcpKmsError` can classify them.
 */
export interface GcpEncryptRequest {
  /** A CryptoKey name (its primary version is used) or a CryptoKeyVersion name. */
  name: string;
  plaintext: Uint8Array;
  additionalAuthenticatedData: Uint8Array;
  plaintextCrc32c: number;
  additionalAuthenticatedDataCrc32c: number;
}

export interface GcpEncryptResponse {
  /** The CryptoKeyVersion used. */
  name: string;
  ciphertext: Uint8Array;
  /** Null when the response carried none. */
  ciphertextCrc32c: number | null;
  verifiedPlaintextCrc32c: boolean;
  verifiedAdditionalAuthenticatedDataCrc32c: boolean;
}

export interface GcpDecryptRequest {
  /** The CryptoKey name; Cloud KMS finds the version from the ciphertext. */
  name: string;
  ciphertext: Uint8Array;
  additionalAuthenticatedData: Uint8Array;
  ciphertextCrc32c: number;
  additionalAuthenticatedDataCrc32c: number;
}

export interface GcpDecryptResponse {
  plaintext: Uint8Array;
  plaintextCrc32c: number | null;
}

export interface GcpKmsOperations {
  encrypt(request: GcpEncryptRequest): Promise<GcpEncryptResponse>;
  decrypt(request: GcpDecryptRequest): Promise<GcpDecryptResponse>;
}
