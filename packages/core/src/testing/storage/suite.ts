import { afterAll, beforeAll, describe } from 'vitest';
import { approvalTests } from './approvals';
import { auditTests } from './audit';
import {
  makeContext,
  type StorageConformanceOptions,
  type StorageFactory,
  type StorageFixture,
  type StorageSuiteGroup,
  type SuiteContext,
} from './context';
import { lifecycleTests } from './lifecycle';
import { faultTests } from './faults';
import { leakTests } from './leaks';
import { listingTests } from './listing';
import { recordTests } from './records';
import { retentionTests } from './retention';
import { safetyTests } from './safety';
import { secretTests } from './secrets';
import { tamperTests } from './tamper';
import { tenantTests } from './tenants';
import { tokenModelTests } from './token-model';
import { tokenTests } from './tokens';
import { trashTests } from './trash';
import { twoInstanceTests } from './two-instances';

const GROUPS: Record<StorageSuiteGroup, (ctx: SuiteContext) => void> = {
  'records': recordTests,
  'secrets': secretTests,
  'listing': listingTests,
  'trash': trashTests,
  'audit': auditTests,
  'tenants': tenantTests,
  'tokens': tokenTests,
  'approvals': approvalTests,
  'safety': safetyTests,
  'tamper': tamperTests,
  'two-instances': twoInstanceTests,
  'lifecycle': lifecycleTests,
  'retention': retentionTests,
  'faults': faultTests,
  'leaks': leakTests,
  'token-model': tokenModelTests,
};

/**
 * The storage conformance suite: every MUST of the StorageAdapter contract, and the vault
 * behaviour that rests on it, against one backend. An adapter's test file is a call to this.
 * Each test works in its own tenant, so the order of tests never matters and a shared backend
 * needs no cleanup between them.
 */
export function runStorageConformance(
  name: string,
  factory: StorageFactory,
  options: StorageConformanceOptions = {},
): void {
  describe(`storage conformance: ${name}`, () => {
    let fixture: StorageFixture | undefined;
    const ctx = makeContext(() => {
      if (!fixture) throw new Error(`storage conformance: the ${name} fixture is not ready`);
      return fixture;
    }, options);
    beforeAll(async () => {
      fixture = await factory();
    }, 60_000);
    afterAll(async () => {
      await ctx.closeVaults();
      await fixture?.close?.();
    });
    for (const [group, tests] of Object.entries(GROUPS) as [
      StorageSuiteGroup,
      (ctx: SuiteContext) => void,
    ][]) {
      const reason = options.skip?.[group];
      if (reason) describe.skip(`${group} (skipped: ${reason})`, () => tests(ctx));
      else describe(group, () => tests(ctx));
    }
  });
}
