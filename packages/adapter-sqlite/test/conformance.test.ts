import { runStorageConformance } from '@agentvault/core/testing';
import { sqliteTestFixture } from '../src/testing';

// Lanes > 1: the token model's maintaining sequences run first, alone, while the file is small.
runStorageConformance('sqlite', sqliteTestFixture, { modelLanes: 2 });
