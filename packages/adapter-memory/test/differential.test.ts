import { runDifferential } from '@agentvault/core/testing';
import { memoryAdapter } from '../src/index';

// Memory against a second memory instance: the harness itself runs end to end (every generated
// call and listing, both seeds), and the adapter is deterministic. Other adapters call the same
// function with their own factory.
runDifferential('memory', () => ({ storage: memoryAdapter() }), { reference: () => memoryAdapter() });
