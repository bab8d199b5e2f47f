/** The hand-written serializers of hot responses give exactly the text of the generic path. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { secretParams } from '../../src/http/wire/requests';
import { routes } from '../../src/http/routes';
import { iso, secretJson, secretToWire } from '../../src/http/wire/serialize';
import { SECRET_TYPES, TIERS } from '../../src/domain/classification';
import type { Secret } from '../../src/vault/views';

const date = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true });
const text = fc.string({ unit: 'binary', maxLength: 40 });

const secret: fc.Arbitrary<Secret> = fc.record({
  path: text,
  version: fc.integer({ min: 1, max: 2 ** 31 }),
  latestVersion: fc.integer({ min: 1, max: 2 ** 31 }),
  tier: fc.constantFrom(...TIERS),
  type: fc.constantFrom(...SECRET_TYPES),
  description: fc.option(text, { nil: null }),
  tags: fc.dictionary(text, text, { maxKeys: 4 }),
  createdAt: date,
  createdBy: text,
  updatedAt: date,
  updatedBy: text,
  accessedAt: date,
  expiresAt: fc.option(date, { nil: null }),
  trashedAt: fc.option(date, { nil: null }),
  purgeAt: fc.option(date, { nil: null }),
  value: fc.string({ unit: 'binary', maxLength: 200 }),
});

describe('hand-written serializers', () => {
  it('secretJson is JSON.stringify(secretToWire(…)), character for character', () => {
    fc.assert(
      fc.property(secret, (s) => {
        expect(secretJson(s)).toBe(JSON.stringify(secretToWire(s)));
      }),
      { numRuns: 500 },
    );
  });

  it('iso remembers recent instants without mixing them up, and still refuses an invalid date', () => {
    fc.assert(
      fc.property(fc.array(date, { minLength: 1, maxLength: 600 }), (dates) => {
        for (const d of [...dates, ...dates.toReversed()]) expect(iso(d)).toBe(d.toISOString());
      }),
    );
    // Two instants that share a slot of the table.
    expect(iso(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(iso(new Date(256))).toBe('1970-01-01T00:00:00.256Z');
    expect(iso(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(() => iso(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('the read route’s hand check of its path parameter accepts exactly what its schema accepts', () => {
    const route = routes.find((r) => r.operationId === 'getSecret')!;
    // Valid segment characters, and a few that are not (a slash, %, a control character, a space, é).
    const segment = fc.stringMatching(/^[A-Za-z0-9._\-/%\t é]{0,12}$/);
    const path = fc.oneof(
      fc.array(segment, { minLength: 1, maxLength: 18 }).map((parts) => parts.join('/')),
      fc.string({ maxLength: 600 }),
      fc.constantFrom('.', '..', 'a/./b', 'a/../b', 'a//b', '/a', 'a/', 'x'.repeat(129), `${'a/'.repeat(16)}a`),
    );
    fc.assert(
      fc.property(path, (p) => {
        const parsed = secretParams.safeParse({ path: p });
        expect(route.checkParams!({ path: p })).toEqual(parsed.success ? parsed.data : undefined);
      }),
      { numRuns: 2000 },
    );
  });
});
