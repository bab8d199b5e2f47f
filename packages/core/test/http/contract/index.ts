/**
 * The HTTP contract: one suite that every way of serving the API must pass, over real sockets.
 * Each test builds its own vault and server, so tests never depend on one another.
 */
import { describe } from 'vitest';
import type { StartServer } from '../support/servers';
import { accessContract } from './access';
import { contractContext } from './context';
import { edgeContract } from './edge';
import { errorContract } from './errors';
import { freeTextContract } from './free-text';
import { secretContract } from './secrets';

export function runHttpContract(name: string, start: StartServer): void {
  const ctx = contractContext(start);
  describe(`HTTP contract: ${name}`, () => {
    describe('secrets', () => secretContract(ctx));
    describe('tokens, approvals, audit', () => accessContract(ctx));
    describe('errors, limits, OpenAPI', () => errorContract(ctx));
    describe('floods and refusals at the edge', () => edgeContract(ctx));
    describe('free text and scope bounds', () => freeTextContract(ctx));
  });
}
