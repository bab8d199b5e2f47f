/**
 * Sealing one version's value: AES-256-GCM under the version's own data key, a random 96-bit
 * nonce, and additional authenticated data that binds the ciphertext to (tenant, path, version).
 *
 * Layout: [format 0x01][nonce 12][ciphertext][tag 16].
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionContext } from '../contracts/key-wrapper';
import { AgentVaultIntegrityError } from '../errors';
import { canonicalContextText } from './context';

const FORMAT = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const DATA_KEY_BYTES = 32;

/** `context` may be given as its canonical text (crypto/context), which the read path has at hand. */
type Binding = EncryptionContext | string;

function additionalData(context: Binding): Buffer {
  return Buffer.from(
    `agentvault/value/v1 ${typeof context === 'string' ? context : canonicalContextText(context)}`,
    'utf8',
  );
}

export function sealValue(dataKey: Uint8Array, plaintext: string, context: Binding): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, nonce);
  cipher.setAAD(additionalData(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT), nonce, body, cipher.getAuthTag()]);
}

/** Opens a sealed value; any change to the bytes or the context fails with AgentVaultIntegrityError. */
export function openValue(dataKey: Uint8Array, sealed: Uint8Array, context: Binding): string {
  if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== FORMAT) {
    throw new AgentVaultIntegrityError('Stored ciphertext is malformed');
  }
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, bytes.subarray(1, 1 + NONCE_BYTES));
    decipher.setAAD(additionalData(context));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(bytes.subarray(1 + NONCE_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return plain.toString('utf8');
  } catch (cause) {
    throw new AgentVaultIntegrityError('Stored ciphertext failed authentication for this secret version', {
      cause,
    });
  }
}
