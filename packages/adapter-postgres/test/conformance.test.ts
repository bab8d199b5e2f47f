import { runStorageConformance } from '@agentvault/core/testing';
import { describe, inject, it } from 'vitest';
import { postgresTestFixture } from '../src/testing';

if (inject('pgReachable')) {
  runStorageConformance('postgres', () => postgresTestFixture('conformance'));
} else {
  describe.skip('storage conformance: postgres (server unreachable)', () => it('runs against PostgreSQL'));
}
