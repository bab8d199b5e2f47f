import { runStorageConformance } from '@agentvault/core/testing';
import { sqliteTestFixture } from '../src/testing';

runStorageConformance('sqlite', sqliteTestFixture);
