/** CRC32C (Castagnoli) as Cloud KMS's integrity fields use it: an unsigned 32-bit number. */
import { crc32c } from '@aws-crypto/crc32c';

export function crc32cOf(bytes: Uint8Array): number {
  return crc32c(bytes) >>> 0;
}
