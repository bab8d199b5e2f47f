import { runStorageConformance } from '@agentvault/core/testing';
import { memoryAdapter } from '../src/index';

runStorageConformance('memory', () => {
  const storage = memoryAdapter();
  return { storage, backdoor: storage.backdoor() };
});
