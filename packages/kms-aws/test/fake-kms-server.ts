/**
 * An honest fake of AWS KMS's wire protocol (JSON 1.1 over HTTP, `x-amz-target: TrentService.*`)
 * for tests and benchmarks, listening on 127.0.0.1. It verifies each request's SigV4 signature,
 * enforces per-principal key permissions, really encrypts (AES-256-GCM with per-key material,
 * the encryption context bound as additional data) and answers with the errors KMS answers.
 *
 * Faults: throttle the next N calls, fail the next N calls with a server-side exception, add
 * latency, corrupt the next N response bodies, and an outage that refuses connections.
 *
 * Ciphertext blob: [0x01][key uuid, 36 ASCII bytes][nonce 12][ciphertext][tag 16]. Like real KMS
 * blobs it names its key, so Decrypt works without a KeyId and refuses a KeyId that differs.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const BLOB_FORMAT = 0x01;
const UUID_BYTES = 36;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export type KmsAction = 'GenerateDataKey' | 'Decrypt' | 'Encrypt' | 'ReEncryptFrom' | 'ReEncryptTo';
const ALL_ACTIONS: KmsAction[] = ['GenerateDataKey', 'Decrypt', 'Encrypt', 'ReEncryptFrom', 'ReEncryptTo'];
export type KmsOperation = 'GenerateDataKey' | 'Decrypt' | 'Encrypt' | 'ReEncrypt';
const OPERATIONS = new Set<string>(['GenerateDataKey', 'Decrypt', 'Encrypt', 'ReEncrypt']);

/** Server-side failures KMS answers with; each is retryable by the SDK. */
export type ServerFault = 'KMSInternalException' | 'DependencyTimeoutException' | 'KeyUnavailableException';
const FAULT_STATUS: Record<ServerFault, number> = {
  KMSInternalException: 500,
  DependencyTimeoutException: 503,
  KeyUnavailableException: 500,
};

interface Key {
  id: string;
  arn: string;
  material: Buffer;
  state: 'Enabled' | 'Disabled' | 'PendingDeletion';
}

interface Principal {
  arn: string;
  secretAccessKey: string;
  /** key ARN → allowed actions */
  grants: Map<string, Set<KmsAction>>;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** Canonical bytes of an encryption context, bound into the ciphertext as GCM additional data. */
function contextAad(keyId: string, context: unknown): Buffer {
  if (context !== undefined && (typeof context !== 'object' || context === null)) {
    throw new KmsError('ValidationException', 'EncryptionContext must be a map of strings');
  }
  const entries = Object.entries((context ?? {}) as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  for (const [, value] of entries) {
    if (typeof value !== 'string')
      throw new KmsError('ValidationException', 'EncryptionContext must be a map of strings');
  }
  return Buffer.from(JSON.stringify([keyId, entries]), 'utf8');
}

function base64Field(body: Record<string, unknown>, field: string): Buffer {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new KmsError('ValidationException', `1 validation error detected: ${field} must not be null`);
  }
  return Buffer.from(value, 'base64');
}

export class FakeAwsKms {
  readonly region = 'us-east-1';
  readonly account = '111122223333';
  /** Calls that reached the service (signed, authorised or not), by operation. */
  readonly calls: Record<KmsOperation, number> = { GenerateDataKey: 0, Decrypt: 0, Encrypt: 0, ReEncrypt: 0 };
  /** Added to every call before it is answered, in ms. */
  latencyMs = 0;

  readonly #keys = new Map<string, Key>();
  readonly #aliases = new Map<string, string>();
  readonly #principals = new Map<string, Principal>();
  #throttle = 0;
  #fail: { count: number; type: ServerFault } = { count: 0, type: 'KMSInternalException' };
  #corrupt = 0;
  #server: Server;
  #port = 0;
  #down = false;

  private constructor() {
    this.#server = this.#newServer();
  }

  static async start(): Promise<FakeAwsKms> {
    const fake = new FakeAwsKms();
    await fake.#listen(0);
    return fake;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Client settings for the SDK, signed as `principal`. */
  clientConfig(principal: Credentials) {
    return { endpoint: this.endpoint, region: this.region, credentials: { ...principal } };
  }

  createKey(account = this.account): string {
    const id = randomUUID();
    const arn = `arn:aws:kms:${this.region}:${account}:key/${id}`;
    this.#keys.set(id, { id, arn, material: randomBytes(32), state: 'Enabled' });
    return arn;
  }

  /** Point `alias/<name>` at a key (creating or updating the alias). */
  setAlias(name: string, keyArn: string): string {
    const alias = name.startsWith('alias/') ? name : `alias/${name}`;
    this.#aliases.set(alias, this.#keyIdOf(keyArn));
    return alias;
  }

  setKeyState(keyArn: string, state: Key['state']): void {
    this.#keys.get(this.#keyIdOf(keyArn))!.state = state;
  }

  /** A new IAM principal, allowed `actions` on each of `keyArns`. */
  createPrincipal(keyArns: string[], actions: KmsAction[] = ALL_ACTIONS): Credentials {
    const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(30).toString('base64');
    const principal: Principal = {
      arn: `arn:aws:iam::${this.account}:user/agentvault-${accessKeyId.slice(-6).toLowerCase()}`,
      secretAccessKey,
      grants: new Map(),
    };
    this.#principals.set(accessKeyId, principal);
    for (const arn of keyArns) this.grant({ accessKeyId, secretAccessKey }, arn, actions);
    return { accessKeyId, secretAccessKey };
  }

  grant(credentials: Credentials, keyArn: string, actions: KmsAction[] = ALL_ACTIONS): void {
    const principal = this.#principals.get(credentials.accessKeyId)!;
    const set = principal.grants.get(keyArn) ?? new Set();
    for (const action of actions) set.add(action);
    principal.grants.set(keyArn, set);
  }

  revoke(credentials: Credentials, keyArn: string): void {
    this.#principals.get(credentials.accessKeyId)?.grants.delete(keyArn);
  }

  /** The next `count` calls answer ThrottlingException. */
  throttleNext(count: number): void {
    this.#throttle = count;
  }

  /** The next `count` calls answer a server-side exception (5xx). */
  failNext(count: number, type: ServerFault = 'KMSInternalException'): void {
    this.#fail = { count, type };
  }

  /** The next `count` successful responses reach the client with their JSON body cut short. */
  corruptNext(count: number): void {
    this.#corrupt = count;
  }

  resetCalls(): void {
    for (const op of Object.keys(this.calls) as KmsOperation[]) this.calls[op] = 0;
  }

  totalCalls(): number {
    return Object.values(this.calls).reduce((sum, n) => sum + n, 0);
  }

  /** Stop listening and drop every open connection: clients see ECONNREFUSED / ECONNRESET. */
  async outage(): Promise<void> {
    if (this.#down) return;
    this.#down = true;
    await this.#close();
  }

  /** Listen again on the same port. */
  async restore(): Promise<void> {
    if (!this.#down) return;
    this.#down = false;
    this.#server = this.#newServer();
    await this.#listen(this.#port);
  }

  async close(): Promise<void> {
    if (!this.#down) await this.#close();
    this.#down = true;
  }

  #newServer(): Server {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(error));
      });
    });
    server.keepAliveTimeout = 5_000;
    return server;
  }

  #listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  #close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const send = (status: number, body: unknown, corrupt = false) => {
      if (res.destroyed) return;
      let text = JSON.stringify(body);
      if (corrupt) text = text.slice(0, Math.floor(text.length / 2));
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': randomUUID(),
      });
      res.end(text);
    };
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : '';
      if (req.method !== 'POST' || !OPERATIONS.has(operation)) {
        throw new KmsError('UnknownOperationException', `unsupported operation '${target}'`);
      }
      this.calls[operation as KmsOperation]++;
      if (this.latencyMs > 0) await sleep(this.latencyMs);
      const principal = this.#authenticate(req, raw);
      if (this.#throttle > 0) {
        this.#throttle--;
        throw new KmsError('ThrottlingException', 'Rate exceeded');
      }
      if (this.#fail.count > 0) {
        this.#fail.count--;
        throw new KmsError(this.#fail.type, `${this.#fail.type} (injected)`, FAULT_STATUS[this.#fail.type]);
      }
      const body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
      const result = this.#operate(operation as KmsOperation, principal, body);
      const corrupt = this.#corrupt > 0;
      if (corrupt) this.#corrupt--;
      send(200, result, corrupt);
    } catch (error) {
      if (error instanceof KmsError) send(error.status, { __type: error.type, message: error.message });
      else send(500, { __type: 'KMSInternalException', message: 'internal error' });
    }
  }

  /** SigV4: the access key must be known and the signature must match the request as received. */
  #authenticate(req: IncomingMessage, body: Buffer): Principal {
    const header = String(req.headers.authorization ?? '');
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
        header,
      );
    if (!match)
      throw new KmsError('MissingAuthenticationTokenException', 'Missing or malformed Authorization header');
    const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as string[];
    const principal = this.#principals.get(accessKeyId!);
    if (!principal)
      throw new KmsError(
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const canonicalHeaders = signedHeaders!
      .split(';')
      .map(
        (name) =>
          `${name}:${String(req.headers[name] ?? '')
            .trim()
            .replace(/\s+/g, ' ')}\n`,
      )
      .join('');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const canonicalRequest = [
      req.method,
      url.pathname,
      url.search.slice(1),
      canonicalHeaders,
      signedHeaders,
      sha256Hex(body),
    ].join('\n');
    const scope = `${date}/${region}/${service}/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
    const signingKey = hmac(
      hmac(hmac(hmac(`AWS4${principal.secretAccessKey}`, date!), region!), service!),
      'aws4_request',
    );
    if (hmac(signingKey, stringToSign).toString('hex') !== signature) {
      throw new KmsError(
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided.',
      );
    }
    return principal;
  }

  #keyIdOf(reference: string): string {
    const aliasName = reference.startsWith('alias/')
      ? reference
      : /^arn:aws:kms:[^:]+:\d+:(alias\/.+)$/.exec(reference)?.[1];
    if (aliasName) {
      const target = this.#aliases.get(aliasName);
      if (!target) throw new KmsError('NotFoundException', `Alias ${reference} is not found.`);
      return target;
    }
    const id = /^arn:aws:kms:[^:]+:\d+:key\/(.+)$/.exec(reference)?.[1] ?? reference;
    if (!this.#keys.has(id)) throw new KmsError('NotFoundException', `Key '${reference}' does not exist`);
    return id;
  }

  /** Resolve a KeyId for `action`: the key must exist, be usable, and the caller must be allowed. */
  #useKey(principal: Principal, reference: unknown, action: KmsAction): Key {
    if (typeof reference !== 'string' || reference.length === 0) {
      throw new KmsError('ValidationException', '1 validation error detected: KeyId must not be null');
    }
    let key: Key;
    try {
      key = this.#keys.get(this.#keyIdOf(reference))!;
    } catch (error) {
      // A key in another account that does not exist looks like one you may not use.
      if (reference.startsWith('arn:') && !reference.includes(`:${this.account}:`)) {
        throw this.#denied(principal, action, reference);
      }
      throw error;
    }
    if (!principal.grants.get(key.arn)?.has(action)) throw this.#denied(principal, action, key.arn);
    if (key.state === 'Disabled') throw new KmsError('DisabledException', `${key.arn} is disabled.`);
    if (key.state === 'PendingDeletion') {
      throw new KmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    }
    return key;
  }

  #denied(principal: Principal, action: KmsAction, resource: string): KmsError {
    const permission = `kms:${action}`;
    return new KmsError(
      'AccessDeniedException',
      `User: ${principal.arn} is not authorized to perform: ${permission} on resource: ${resource} because no identity-based policy allows the ${permission} action`,
    );
  }

  #seal(key: Key, plaintext: Buffer, context: unknown): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.material, nonce);
    cipher.setAAD(contextAad(key.id, context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([
      Buffer.of(BLOB_FORMAT),
      Buffer.from(key.id, 'ascii'),
      nonce,
      body,
      cipher.getAuthTag(),
    ]);
  }

  /** The key a blob names (no permission check yet). */
  #blobKey(blob: Buffer): Key {
    const invalid = new KmsError('InvalidCiphertextException', '');
    if (blob.length < 1 + UUID_BYTES + NONCE_BYTES + TAG_BYTES || blob[0] !== BLOB_FORMAT) throw invalid;
    const key = this.#keys.get(blob.subarray(1, 1 + UUID_BYTES).toString('latin1'));
    if (!key) throw invalid;
    return key;
  }

  #open(key: Key, blob: Buffer, context: unknown): Buffer {
    const start = 1 + UUID_BYTES;
    try {
      const decipher = createDecipheriv(
        'aes-256-gcm',
        key.material,
        blob.subarray(start, start + NONCE_BYTES),
      );
      decipher.setAAD(contextAad(key.id, context));
      decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(blob.subarray(start + NONCE_BYTES, blob.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new KmsError('InvalidCiphertextException', '');
    }
  }

  /** Decrypt-side checks shared by Decrypt and ReEncrypt (source). */
  #sourceKey(principal: Principal, blob: Buffer, keyId: unknown, action: KmsAction): Key {
    const named = this.#blobKey(blob);
    if (keyId === undefined) return this.#useKey(principal, named.arn, action);
    const key = this.#useKey(principal, keyId, action);
    if (key.id !== named.id) {
      throw new KmsError(
        'IncorrectKeyException',
        'The key ID in the request does not identify a CMK that can perform this operation.',
      );
    }
    return key;
  }

  #operate(
    operation: KmsOperation,
    principal: Principal,
    body: Record<string, unknown>,
  ): Record<string, unknown> {
    switch (operation) {
      case 'GenerateDataKey': {
        const key = this.#useKey(principal, body.KeyId, 'GenerateDataKey');
        const bytes =
          body.KeySpec === 'AES_256' ? 32 : body.KeySpec === 'AES_128' ? 16 : Number(body.NumberOfBytes);
        if (!Number.isInteger(bytes) || bytes < 1 || bytes > 1024) {
          throw new KmsError('ValidationException', 'KeySpec or NumberOfBytes is required');
        }
        const plaintext = randomBytes(bytes);
        return {
          KeyId: key.arn,
          Plaintext: plaintext.toString('base64'),
          CiphertextBlob: this.#seal(key, plaintext, body.EncryptionContext).toString('base64'),
        };
      }
      case 'Encrypt': {
        const key = this.#useKey(principal, body.KeyId, 'Encrypt');
        const plaintext = base64Field(body, 'Plaintext');
        return {
          KeyId: key.arn,
          CiphertextBlob: this.#seal(key, plaintext, body.EncryptionContext).toString('base64'),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        };
      }
      case 'Decrypt': {
        const blob = base64Field(body, 'CiphertextBlob');
        const key = this.#sourceKey(principal, blob, body.KeyId, 'Decrypt');
        return {
          KeyId: key.arn,
          Plaintext: this.#open(key, blob, body.EncryptionContext).toString('base64'),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        };
      }
      case 'ReEncrypt': {
        const blob = base64Field(body, 'CiphertextBlob');
        const source = this.#sourceKey(principal, blob, body.SourceKeyId, 'ReEncryptFrom');
        const destination = this.#useKey(principal, body.DestinationKeyId, 'ReEncryptTo');
        const plaintext = this.#open(source, blob, body.SourceEncryptionContext);
        return {
          SourceKeyId: source.arn,
          KeyId: destination.arn,
          CiphertextBlob: this.#seal(destination, plaintext, body.DestinationEncryptionContext).toString(
            'base64',
          ),
          SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
          DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        };
      }
    }
  }
}
