import { expect, onTestFinished } from 'vitest';
import { z } from 'zod';
import { errorWire } from '../../../src/http/wire/responses';
import type { StartServer } from '../support/servers';
import { makeWorld, type Reply, type World, type WorldOptions } from '../support/world';

export interface ContractContext {
  /** A fresh world for this test, closed when the test ends. */
  world(options?: WorldOptions): Promise<World>;
}

export function contractContext(start: StartServer): ContractContext {
  return {
    async world(options) {
      const w = await makeWorld(start, options);
      onTestFinished(() => w.close());
      return w;
    },
  };
}

/** The body must fit the response schema the OpenAPI document publishes. */
export function expectWire<S extends z.ZodType>(schema: S, reply: Reply): z.output<S> {
  const result = schema.safeParse(reply.body);
  if (!result.success)
    throw new Error(`response (${reply.status}) does not fit its schema:\n${z.prettifyError(result.error)}`);
  return result.data;
}

/** A documented error: the status, our JSON shape and code, and the rate-limit headers. */
export function expectError(reply: Reply, status: number, code: string) {
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status, body: { error: { code } } });
  expectWire(errorWire, reply);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  return reply.body.error as { code: string; message: string; [key: string]: unknown };
}
