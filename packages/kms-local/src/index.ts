/**
 * Key wrapping with local key-encryption keys: a keyring of named 256-bit keys, one of them
 * current. Data keys are wrapped with AES-256-GCM under the current key, bound to their
 * encryption context and to the key id; older keys stay in the ring so what they wrapped still
 * unwraps, and `vault.rewrap()` moves everything to the current key.
 *
 * Wrapped layout: [format 0x01][nonce 12][wrapped data key 32][tag 16].
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import {
  AgentVaultConfigurationError,
  AgentVaultIntegrityError,
  canonicalContextText,
  type EncryptionContext,
  type KeyWrapper,
  type WrappedKey,
} from '@agentvault/core';

const FORMAT = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The environment variable read when no keys are passed. */
export const LOCAL_KEK_ENV = 'AGENTVAULT_LOCAL_KEK';

export interface LocalKeyringOptions {
  /** Key id → 32-byte key (bytes, or base64 / hex text). */
  keys?: Record<string, Uint8Array | string>;
  /** The key new data keys are wrapped under. Required when there are several keys. */
  currentKeyId?: string;
  /**
   * Where to look for `AGENTVAULT_LOCAL_KEK` when `keys` is not given: either one base64 key, or
   * `id:base64,id:base64` with the current key first. Default `process.env`.
   */
  env?: Record<string, string | undefined>;
  /** With no keys configured, generate a random key for this process instead of failing. Dev only. */
  generateDevKey?: boolean;
  /** Where the dev-key warning goes. Default console.warn. */
  warn?: (message: string) => void;
}

function decodeKey(id: string, key: Uint8Array | string): Buffer {
  const bytes =
    typeof key !== 'string'
      ? Buffer.from(key)
      : /^[0-9a-fA-F]{64}$/.test(key)
        ? Buffer.from(key, 'hex')
        : Buffer.from(key, 'base64');
  if (bytes.length !== KEY_BYTES) {
    throw new AgentVaultConfigurationError(
      `local keyring: key '${id}' must be ${KEY_BYTES} bytes (base64 or hex), got ${bytes.length}`,
    );
  }
  return bytes;
}

/** A stable id for a key given without one: `kek-` and the first 12 hex digits of its SHA-256. */
export function fingerprintKeyId(key: Uint8Array): string {
  return `kek-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

function keysFromEnv(text: string): { keys: Record<string, Buffer>; current: string } {
  const entries = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new AgentVaultConfigurationError(`${LOCAL_KEK_ENV} is empty`);
  const keys: Record<string, Buffer> = {};
  const ids: string[] = [];
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const id = colon === -1 ? null : entry.slice(0, colon);
    const material = decodeKey(id ?? LOCAL_KEK_ENV, colon === -1 ? entry : entry.slice(colon + 1));
    const keyId = id ?? fingerprintKeyId(material);
    keys[keyId] = material;
    ids.push(keyId);
  }
  return { keys, current: ids[0]! };
}

/** Generate a new random key, base64, for `AGENTVAULT_LOCAL_KEK` or the `keys` option. */
export function generateLocalKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

export class LocalKeyring implements KeyWrapper {
  readonly name = 'local';
  readonly #keys = new Map<string, Buffer>();
  readonly #current: string;

  constructor(options: LocalKeyringOptions = {}) {
    let keys: Record<string, Buffer>;
    let current: string | undefined = options.currentKeyId;
    const fromEnv = (options.env ?? process.env)[LOCAL_KEK_ENV];
    if (options.keys && Object.keys(options.keys).length > 0) {
      keys = Object.fromEntries(Object.entries(options.keys).map(([id, key]) => [id, decodeKey(id, key)]));
      if (current === undefined && Object.keys(keys).length === 1) current = Object.keys(keys)[0];
    } else if (fromEnv) {
      const parsed = keysFromEnv(fromEnv);
      keys = parsed.keys;
      current ??= parsed.current;
    } else if (options.generateDevKey) {
      const key = randomBytes(KEY_BYTES);
      current = fingerprintKeyId(key);
      keys = { [current]: key };
      (options.warn ?? console.warn)(
        `[agentvault] WARNING: no ${LOCAL_KEK_ENV} set — using a random development key (${current}). `
        + 'Everything encrypted now is lost when this process exits. Set a key before storing anything real.',
      );
    } else {
      throw new AgentVaultConfigurationError(`local keyring: no keys given and ${LOCAL_KEK_ENV} is not set`);
    }
    for (const [id, key] of Object.entries(keys)) {
      if (!KEY_ID.test(id))
        throw new AgentVaultConfigurationError(`local keyring: key id '${id}' must match ${KEY_ID}`);
      this.#keys.set(id, key);
    }
    if (current === undefined)
      throw new AgentVaultConfigurationError('local keyring: several keys given; set currentKeyId');
    if (!this.#keys.has(current))
      throw new AgentVaultConfigurationError(`local keyring: current key '${current}' is not in the ring`);
    this.#current = current;
  }

  currentKeyId(): string {
    return this.#current;
  }

  /** Ids of every key in the ring. */
  keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  #key(id: string): Buffer {
    const key = this.#keys.get(id);
    // Only a stored row can name a key outside the ring (the current key is checked at construction).
    if (!key) {
      throw new AgentVaultIntegrityError(
        `local keyring: the wrapped data key names key '${id}', which is not in the keyring (a row altered in storage, or a retired key missing from the ring)`,
      );
    }
    return key;
  }

  static #additionalData(keyId: string, context: EncryptionContext): Buffer {
    return Buffer.from(`agentvault/dek/v1 ${keyId} ${canonicalContextText(context)}`, 'utf8');
  }

  async wrap(dataKey: Uint8Array, context: EncryptionContext): Promise<WrappedKey> {
    const keyId = this.#current;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key(keyId), nonce);
    cipher.setAAD(LocalKeyring.#additionalData(keyId, context));
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return { keyId, ciphertext: Buffer.concat([Buffer.of(FORMAT), nonce, body, cipher.getAuthTag()]) };
  }

  async unwrap(wrapped: WrappedKey, context: EncryptionContext): Promise<Uint8Array> {
    const key = this.#key(wrapped.keyId);
    const bytes = Buffer.from(wrapped.ciphertext);
    if (bytes.length !== 1 + NONCE_BYTES + KEY_BYTES + TAG_BYTES || bytes[0] !== FORMAT) {
      throw new AgentVaultIntegrityError('local keyring: wrapped data key is malformed');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(1, 1 + NONCE_BYTES));
      decipher.setAAD(LocalKeyring.#additionalData(wrapped.keyId, context));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(bytes.subarray(1 + NONCE_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch (cause) {
      throw new AgentVaultIntegrityError(
        'local keyring: wrapped data key failed authentication for this context',
        { cause },
      );
    }
  }
}

/** A local keyring; see LocalKeyringOptions for where keys come from. */
export function localKeyring(options: LocalKeyringOptions = {}): LocalKeyring {
  return new LocalKeyring(options);
}
