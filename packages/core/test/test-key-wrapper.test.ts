import { randomBytes } from 'node:crypto';
import { runKeyWrapperConformance, testKeyWrapper } from '../src/testing/index';

const k1 = randomBytes(32);

// The suite checks itself against the test keyring the storage suite uses.
runKeyWrapperConformance('test keyring', () => ({
  wrapper: testKeyWrapper({ keys: { k1 } }),
  twin: () => testKeyWrapper({ keys: { k1 } }),
  rotated: () => testKeyWrapper({ keys: { k1, k2: randomBytes(32) }, currentKeyId: 'k2' }),
  stranger: () => testKeyWrapper({ keys: { other: randomBytes(32) } }),
}));
