/**
 * An honest fake of Google Cloud KMS's gRPC service (`google.cloud.kms.v1.KeyManagementService`,
 * loaded from the `.proto` files `@google-cloud/kms` ships) for tests and benchmarks, on
 * 127.0.0.1 over TLS with OAuth-style bearer tokens, like the real endpoint.
 *
 * Encrypt / Decrypt behave as Cloud KMS documents them: Encrypt takes a CryptoKey (its primary
 * version is used) or a CryptoKeyVersion name and answers with the version used; Decrypt takes
 * the CryptoKey name only and finds the version from the ciphertext. Every request CRC32C is
 * verified (INVALID_ARGUMENT on a mismatch, `verified_*` true when given), every response CRC32C
 * is computed. Each principal (bearer token) holds per-key encrypt / decrypt permissions.
 *
 * Faults: throttle (RESOURCE_EXHAUSTED) or fail (UNAVAILABLE, INTERNAL, …) the next N calls,
 * add latency, corrupt the next N responses (data, CRC or `verified_*` flag) or requests, and an
 * outage that stops the server.
 *
 * Ciphertext: [0x01][version number, uint32 BE][nonce 12][ciphertext][tag 16]; the key name,
 * version and AAD are bound as GCM additional data.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32c } from '@aws-crypto/crc32c';
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PassThroughClient } from 'google-auth-library';

const FORMAT = 0x01;
const HEADER_BYTES = 1 + 4;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export type GcpOperation = 'Encrypt' | 'Decrypt';
export type Permission = 'encrypt' | 'decrypt';
export type VersionState = 'ENABLED' | 'DISABLED' | 'DESTROYED';
/** What `corruptNext` damages: response bytes, the response CRC32C, the `verified_*` flags, or the request on its way in. */
export type Corruption = 'data' | 'crc' | 'unverified' | 'request';
export type FailureCode = 'UNAVAILABLE' | 'INTERNAL' | 'DEADLINE_EXCEEDED' | 'ABORTED';

export type KmsClientOptions = NonNullable<ConstructorParameters<typeof KeyManagementServiceClient>[0]>;

export interface Principal {
  email: string;
  /** The bearer token the fake accepts for this principal. */
  token: string;
}

interface KeyVersion {
  number: number;
  material: Buffer;
  state: VersionState;
}

interface CryptoKey {
  name: string;
  versions: Map<number, KeyVersion>;
  primary: number;
}

class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

const require = createRequire(import.meta.url);
const kmsPackage = require.resolve('@google-cloud/kms/package.json');
const kmsProtos = join(dirname(kmsPackage), 'build', 'protos');
// google-gax (the library's own dependency) ships the google/api and google/protobuf imports.
const gaxMain = createRequire(kmsPackage).resolve('google-gax');
const gaxProtos = join(gaxMain.slice(0, gaxMain.lastIndexOf(`${sep}build${sep}`)), 'build', 'protos');

/** The name the fake's certificate is issued to; clients connect to 127.0.0.1 and check this name. */
const TLS_NAME = 'cloudkms.fake.test';
let tls: { cert: Buffer; key: Buffer } | undefined;
/** A throwaway self-signed certificate, made once per process with openssl. */
function tlsMaterial(): { cert: Buffer; key: Buffer } {
  if (tls) return tls;
  const dir = mkdtempSync(join(tmpdir(), 'agentvault-fake-gcp-kms-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${TLS_NAME}`,
        '-addext',
        `subjectAltName=DNS:${TLS_NAME},IP:127.0.0.1`,
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
    tls = { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
    return tls;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let service: grpc.ServiceDefinition | undefined;
function kmsService(): grpc.ServiceDefinition {
  if (service) return service;
  const definition = protoLoader.loadSync('google/cloud/kms/v1/service.proto', {
    includeDirs: [kmsProtos, gaxProtos],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: { cloud: { kms: { v1: { KeyManagementService: { service: grpc.ServiceDefinition } } } } };
  };
  service = loaded.google.cloud.kms.v1.KeyManagementService.service;
  return service;
}

const crcOf = (bytes: Uint8Array) => crc32c(bytes);

interface Int64Value {
  value?: string | number;
}

function bytesField(value: unknown): Buffer {
  return value instanceof Uint8Array ? Buffer.from(value) : Buffer.alloc(0);
}

export class FakeGcpKms {
  readonly project = 'agentvault-test';
  readonly location = 'global';
  /** Calls that reached the service, by operation. */
  readonly calls: Record<GcpOperation, number> = { Encrypt: 0, Decrypt: 0 };
  /** Added to every call before it is answered, in ms. */
  latencyMs = 0;

  readonly #keys = new Map<string, CryptoKey>();
  readonly #principals = new Map<string, { email: string; grants: Map<string, Set<Permission>> }>();
  #throttle = 0;
  #fail: { count: number; code: FailureCode } = { count: 0, code: 'UNAVAILABLE' };
  #corrupt: { count: number; kind: Corruption } = { count: 0, kind: 'data' };
  #server: grpc.Server | undefined;
  #port = 0;

  private constructor() {}

  static async start(): Promise<FakeGcpKms> {
    const fake = new FakeGcpKms();
    await fake.#listen(0);
    return fake;
  }

  get port(): number {
    return this.#port;
  }

  /** Client options for `KeyManagementServiceClient`: gRPC over TLS to the fake, as `principal`. */
  clientOptions(principal: Principal, extra: KmsClientOptions = {}): KmsClientOptions {
    const callCredentials = grpc.credentials.createFromMetadataGenerator((_params, callback) => {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${principal.token}`);
      callback(null, metadata);
    });
    return {
      'apiEndpoint': '127.0.0.1',
      'port': this.#port,
      'sslCreds': grpc.credentials.combineChannelCredentials(
        grpc.credentials.createSsl(tlsMaterial().cert),
        callCredentials,
      ),
      // TLS server names may not be IP addresses (RFC 6066): check the certificate's DNS name.
      'grpc.ssl_target_name_override': TLS_NAME,
      // Keeps the client from looking for Application Default Credentials.
      'authClient': new PassThroughClient(),
      // Reconnect fast after an outage ends (the library's default is 1 s).
      'grpc.initial_reconnect_backoff_ms': 20,
      'grpc.max_reconnect_backoff_ms': 100,
      ...extra,
    };
  }

  keyRing(ring: string): string {
    return `projects/${this.project}/locations/${this.location}/keyRings/${ring}`;
  }

  /** A symmetric ENCRYPT_DECRYPT key with version 1 as its primary; returns the key name. */
  createKey(ring: string, key: string): string {
    const name = `${this.keyRing(ring)}/cryptoKeys/${key}`;
    this.#keys.set(name, {
      name,
      versions: new Map([[1, { number: 1, material: randomBytes(32), state: 'ENABLED' }]]),
      primary: 1,
    });
    return name;
  }

  /** Rotate: a new version with fresh material becomes primary; returns its name. */
  rotateKey(keyName: string): string {
    const key = this.#key(keyName);
    const number = Math.max(...key.versions.keys()) + 1;
    key.versions.set(number, { number, material: randomBytes(32), state: 'ENABLED' });
    key.primary = number;
    return `${keyName}/cryptoKeyVersions/${number}`;
  }

  primaryVersion(keyName: string): string {
    return `${keyName}/cryptoKeyVersions/${this.#key(keyName).primary}`;
  }

  setVersionState(versionName: string, state: VersionState): void {
    const [keyName, number] = splitVersion(versionName);
    const version = this.#key(keyName).versions.get(number);
    if (!version) throw new Error(`no version ${versionName}`);
    version.state = state;
  }

  createPrincipal(keyNames: string[], permissions: Permission[] = ['encrypt', 'decrypt']): Principal {
    const token = `ya29.fake-${randomBytes(12).toString('hex')}`;
    const email = `agentvault-${randomUUID().slice(0, 8)}@${this.project}.iam.gserviceaccount.com`;
    this.#principals.set(token, { email, grants: new Map() });
    const principal = { email, token };
    for (const name of keyNames) this.grant(principal, name, permissions);
    return principal;
  }

  grant(principal: Principal, keyName: string, permissions: Permission[] = ['encrypt', 'decrypt']): void {
    const grants = this.#principals.get(principal.token)!.grants;
    const set = grants.get(keyName) ?? new Set();
    for (const p of permissions) set.add(p);
    grants.set(keyName, set);
  }

  revoke(principal: Principal, keyName: string): void {
    this.#principals.get(principal.token)?.grants.delete(keyName);
  }

  throttleNext(count: number): void {
    this.#throttle = count;
  }

  failNext(count: number, code: FailureCode = 'UNAVAILABLE'): void {
    this.#fail = { count, code };
  }

  corruptNext(count: number, kind: Corruption = 'data'): void {
    this.#corrupt = { count, kind };
  }

  resetCalls(): void {
    this.calls.Encrypt = this.calls.Decrypt = 0;
  }

  totalCalls(): number {
    return this.calls.Encrypt + this.calls.Decrypt;
  }

  /** Stop serving: open calls are cut, new connections refused. */
  async outage(): Promise<void> {
    this.#server?.forceShutdown();
    this.#server = undefined;
  }

  /** Serve again on the same port. */
  async restore(): Promise<void> {
    if (!this.#server) await this.#listen(this.#port);
  }

  async close(): Promise<void> {
    await this.outage();
  }

  #listen(port: number): Promise<void> {
    const server = new grpc.Server();
    server.addService(kmsService(), {
      Encrypt: this.#unary('Encrypt', (request, principal) => this.#encrypt(request, principal)),
      Decrypt: this.#unary('Decrypt', (request, principal) => this.#decrypt(request, principal)),
    });
    const { cert, key } = tlsMaterial();
    return new Promise((resolve, reject) => {
      server.bindAsync(
        `127.0.0.1:${port}`,
        grpc.ServerCredentials.createSsl(null, [{ private_key: key, cert_chain: cert }], false),
        (error, bound) => {
          if (error) return reject(error);
          this.#server = server;
          this.#port = bound;
          resolve();
        },
      );
    });
  }

  #unary(
    operation: GcpOperation,
    handle: (request: Record<string, unknown>, principal: string) => Record<string, unknown>,
  ): grpc.handleUnaryCall<Record<string, unknown>, Record<string, unknown>> {
    return (call, callback) => {
      void (async () => {
        this.calls[operation]++;
        if (this.latencyMs > 0) await sleep(this.latencyMs);
        if (call.cancelled) return;
        try {
          const principal = this.#authenticate(call.metadata);
          if (this.#throttle > 0) {
            this.#throttle--;
            throw new RpcError(
              grpc.status.RESOURCE_EXHAUSTED,
              'Quota exceeded for quota metric \'Cryptographic requests\' and limit \'Cryptographic requests per minute\'',
            );
          }
          if (this.#fail.count > 0) {
            this.#fail.count--;
            throw new RpcError(grpc.status[this.#fail.code], `${this.#fail.code} (injected)`);
          }
          const corruption = this.#corrupt.count > 0 ? this.#corrupt.kind : null;
          if (corruption) this.#corrupt.count--;
          const request = corruption === 'request' ? flipRequest(call.request) : call.request;
          const response = handle(request, principal);
          callback(
            null,
            corruption && corruption !== 'request' ? corruptResponse(response, corruption) : response,
          );
        } catch (error) {
          if (error instanceof RpcError) callback({ code: error.code, details: error.message });
          else callback({ code: grpc.status.INTERNAL, details: 'internal error' });
        }
      })();
    };
  }

  #authenticate(metadata: grpc.Metadata): string {
    const header = String(metadata.get('authorization')[0] ?? '');
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    const principal = this.#principals.get(token);
    if (!principal) {
      throw new RpcError(
        grpc.status.UNAUTHENTICATED,
        'Request had invalid authentication credentials. Expected OAuth 2 access token.',
      );
    }
    return token;
  }

  #key(keyName: string): CryptoKey {
    const key = this.#keys.get(keyName);
    if (!key) throw new RpcError(grpc.status.NOT_FOUND, `CryptoKey ${keyName} not found.`);
    return key;
  }

  /** IAM first: like Cloud KMS, a resource you may not use looks the same whether or not it exists. */
  #authorize(token: string, keyName: string, permission: Permission, resource: string): CryptoKey {
    if (!this.#principals.get(token)!.grants.get(keyName)?.has(permission)) {
      const iam = permission === 'encrypt' ? 'useToEncrypt' : 'useToDecrypt';
      throw new RpcError(
        grpc.status.PERMISSION_DENIED,
        `Permission 'cloudkms.cryptoKeyVersions.${iam}' denied on resource '${resource}' (or it may not exist).`,
      );
    }
    return this.#key(keyName);
  }

  #encrypt(request: Record<string, unknown>, token: string): Record<string, unknown> {
    const name = String(request.name ?? '');
    const versionMatch = /^(.+\/cryptoKeys\/[^/]+)\/cryptoKeyVersions\/(\d+)$/.exec(name);
    const keyName = versionMatch ? versionMatch[1]! : name;
    const key = this.#authorize(token, keyName, 'encrypt', name);
    const number = versionMatch ? Number(versionMatch[2]) : key.primary;
    const version = key.versions.get(number);
    if (!version) throw new RpcError(grpc.status.NOT_FOUND, `CryptoKeyVersion ${name} not found.`);
    if (version.state !== 'ENABLED') {
      throw new RpcError(
        grpc.status.FAILED_PRECONDITION,
        `${keyName}/cryptoKeyVersions/${number} is not enabled, current state is: ${version.state}.`,
      );
    }
    const plaintext = bytesField(request.plaintext);
    const aad = bytesField(request.additionalAuthenticatedData);
    if (plaintext.length === 0) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'plaintext is required.');
    const verifiedPlaintext = verifyChecksum(request.plaintextCrc32c, plaintext, 'plaintext');
    const verifiedAad = verifyChecksum(
      request.additionalAuthenticatedDataCrc32c,
      aad,
      'additional_authenticated_data',
    );
    const header = Buffer.alloc(HEADER_BYTES);
    header[0] = FORMAT;
    header.writeUInt32BE(number, 1);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', version.material, nonce);
    cipher.setAAD(boundData(keyName, header, aad));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const ciphertext = Buffer.concat([header, nonce, body, cipher.getAuthTag()]);
    return {
      name: `${keyName}/cryptoKeyVersions/${number}`,
      ciphertext,
      ciphertextCrc32c: { value: String(crcOf(ciphertext)) },
      verifiedPlaintextCrc32c: verifiedPlaintext,
      verifiedAdditionalAuthenticatedDataCrc32c: verifiedAad,
      protectionLevel: 'SOFTWARE',
    };
  }

  #decrypt(request: Record<string, unknown>, token: string): Record<string, unknown> {
    const name = String(request.name ?? '');
    if (!/^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/.test(name)) {
      throw new RpcError(
        grpc.status.INVALID_ARGUMENT,
        `Invalid resource field value in the request: ${name}`,
      );
    }
    const key = this.#authorize(token, name, 'decrypt', name);
    const ciphertext = bytesField(request.ciphertext);
    const aad = bytesField(request.additionalAuthenticatedData);
    verifyChecksum(request.ciphertextCrc32c, ciphertext, 'ciphertext');
    verifyChecksum(request.additionalAuthenticatedDataCrc32c, aad, 'additional_authenticated_data');
    const invalid = new RpcError(
      grpc.status.INVALID_ARGUMENT,
      'Decryption failed: the ciphertext is invalid.',
    );
    if (ciphertext.length < HEADER_BYTES + NONCE_BYTES + TAG_BYTES + 1 || ciphertext[0] !== FORMAT)
      throw invalid;
    const version = key.versions.get(ciphertext.readUInt32BE(1));
    if (!version) throw invalid;
    if (version.state !== 'ENABLED') {
      throw new RpcError(
        grpc.status.FAILED_PRECONDITION,
        `${name}/cryptoKeyVersions/${version.number} is not enabled, current state is: ${version.state}.`,
      );
    }
    let plaintext: Buffer;
    try {
      const nonce = ciphertext.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', version.material, nonce);
      decipher.setAAD(boundData(name, ciphertext.subarray(0, HEADER_BYTES), aad));
      decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_BYTES));
      plaintext = Buffer.concat([
        decipher.update(ciphertext.subarray(HEADER_BYTES + NONCE_BYTES, ciphertext.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new RpcError(
        grpc.status.INVALID_ARGUMENT,
        'Decryption failed: verify that \'name\' refers to the correct CryptoKey.',
      );
    }
    return {
      plaintext,
      plaintextCrc32c: { value: String(crcOf(plaintext)) },
      usedPrimary: version.number === key.primary,
      protectionLevel: 'SOFTWARE',
    };
  }
}

function splitVersion(versionName: string): [string, number] {
  const match = /^(.+\/cryptoKeys\/[^/]+)\/cryptoKeyVersions\/(\d+)$/.exec(versionName);
  if (!match) throw new Error(`not a CryptoKeyVersion name: ${versionName}`);
  return [match[1]!, Number(match[2])];
}

function boundData(keyName: string, header: Buffer, aad: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${keyName}\u0000`, 'utf8'), header, aad]);
}

/** A request checksum, when given, must match: INVALID_ARGUMENT otherwise. True when it was given. */
function verifyChecksum(field: unknown, data: Buffer, fieldName: string): boolean {
  const value = (field as Int64Value | null | undefined)?.value;
  if (value === undefined || value === null) return false;
  if (Number(value) !== crcOf(data)) {
    throw new RpcError(
      grpc.status.INVALID_ARGUMENT,
      `The checksum in field ${fieldName}_crc32c did not match the data in field ${fieldName}.`,
    );
  }
  return true;
}

function flipFirstByte(bytes: unknown): Buffer {
  const copy = Buffer.from(bytesField(bytes));
  if (copy.length > 0) copy[0]! ^= 0x01;
  return copy;
}

/** The request as damaged on its way in: its payload bytes no longer match the checksum sent. */
function flipRequest(request: Record<string, unknown>): Record<string, unknown> {
  if (request.plaintext !== undefined) return { ...request, plaintext: flipFirstByte(request.plaintext) };
  return { ...request, ciphertext: flipFirstByte(request.ciphertext) };
}

function corruptResponse(response: Record<string, unknown>, kind: Corruption): Record<string, unknown> {
  const dataField = 'ciphertext' in response ? 'ciphertext' : 'plaintext';
  const crcField = 'ciphertext' in response ? 'ciphertextCrc32c' : 'plaintextCrc32c';
  switch (kind) {
    case 'data':
      return { ...response, [dataField]: flipFirstByte(response[dataField]) };
    case 'crc': {
      const value = Number((response[crcField] as Int64Value).value);
      return { ...response, [crcField]: { value: String((value ^ 0x1) >>> 0) } };
    }
    default:
      return 'verifiedPlaintextCrc32c' in response
        ? { ...response, verifiedPlaintextCrc32c: false, verifiedAdditionalAuthenticatedDataCrc32c: false }
        : response;
  }
}
