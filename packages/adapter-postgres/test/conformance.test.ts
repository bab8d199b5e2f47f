import { describeRequiring, runStorageConformance } from '@agentvault/core/testing';
import { inject } from 'vitest';
import { postgresTestFixture } from '../src/testing';

describeRequiring(inject('pgProblem'), 'on PostgreSQL', () => {
  runStorageConformance('postgres', () => postgresTestFixture('conformance'));
});
