export { type ManualClock, manualClock } from './clock';
export {
  type KeyWrapperFactory,
  type KeyWrapperFixture,
  runKeyWrapperConformance,
} from './key-wrapper-suite';
export { type FaultPlan, type FaultRecorder, faultyKeyWrapper, faultyStorage, tenantSnapshot } from './faults';
export { type CountingKeyWrapper, countingKeyWrapper, testKeyWrapper } from './key-wrappers';
export {
  type Harness,
  STORAGE_SUITE_GROUPS,
  type StorageBackdoor,
  type StorageConformanceOptions,
  type StorageFactory,
  type StorageFixture,
  type StorageSuiteGroup,
  uniqueTenant,
} from './storage/context';
export { runStorageConformance } from './storage/suite';
export { type DifferentialFactory, type DifferentialOptions, runDifferential } from './differential';
export { describeRequiring } from './requires';
