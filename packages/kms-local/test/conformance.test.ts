import { randomBytes } from 'node:crypto';
import { runKeyWrapperConformance } from '@agentvault/core/testing';
import { localKeyring } from '../src/index';

const k1 = randomBytes(32);
const k2 = randomBytes(32);

runKeyWrapperConformance('local keyring', () => ({
  wrapper: localKeyring({ keys: { k1 } }),
  twin: () => localKeyring({ env: { AGENTVAULT_LOCAL_KEK: `k1:${k1.toString('base64')}` } }),
  rotated: () => localKeyring({ keys: { k1, k2 }, currentKeyId: 'k2' }),
  stranger: () => localKeyring({ keys: { other: randomBytes(32) } }),
}));
