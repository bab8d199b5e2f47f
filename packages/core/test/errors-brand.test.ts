/**
 * The dual-package hazard: an app that loads both the ESM and the CJS build of core holds two
 * copies of every error class. `instanceof` must hold across the copies, both ways, and keep
 * telling the classes apart.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as esm from '../src/errors';
import { HttpError } from '../src/http/errors';

type Errors = typeof esm;

/** A second, CommonJS copy of the module, loaded by Node's own `require` (as the CJS build would be). */
function cjsCopy(): Errors {
  const source = readFileSync(new URL('../src/errors.ts', import.meta.url), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  const file = join(mkdtempSync(join(tmpdir(), 'agentvault-errors-')), 'errors.cjs');
  writeFileSync(file, outputText);
  return createRequire(import.meta.url)(file) as Errors;
}

const cjs = cjsCopy();

/** One instance of every class, made by the copy `m`. */
function everyError(m: Errors) {
  return {
    AgentVaultError: new m.AgentVaultError('base'),
    AgentVaultAuthError: new m.AgentVaultAuthError(),
    AgentVaultPermissionError: new m.AgentVaultPermissionError('no', { path: 'a/b' }),
    AgentVaultNotFoundError: new m.AgentVaultNotFoundError('none', { path: 'a/b' }),
    AgentVaultConflictError: new m.AgentVaultConflictError('taken'),
    AgentVaultGoneError: new m.AgentVaultGoneError('gone'),
    AgentVaultValidationError: new m.AgentVaultValidationError('bad', []),
    AgentVaultApprovalPendingError: new m.AgentVaultApprovalPendingError('wait', 'apr_1'),
    AgentVaultRateLimitError: new m.AgentVaultRateLimitError('slow', 3),
    AgentVaultUnavailableError: new m.AgentVaultUnavailableError('down'),
    AgentVaultIntegrityError: new m.AgentVaultIntegrityError('altered'),
    AgentVaultConfigurationError: new m.AgentVaultConfigurationError('set up wrong'),
    AgentVaultNetworkError: new m.AgentVaultNetworkError('unreachable'),
  };
}

const classNames = Object.keys(everyError(esm)) as (keyof ReturnType<typeof everyError>)[];

describe('error classes across two copies of the module', () => {
  it('really are two copies', () => {
    expect(cjs.AgentVaultNotFoundError).not.toBe(esm.AgentVaultNotFoundError);
    expect(Object.getPrototypeOf(new cjs.AgentVaultNotFoundError('x'))).not.toBe(esm.AgentVaultNotFoundError.prototype);
  });

  for (const [from, to, label] of [[cjs, esm, 'CJS → ESM'], [esm, cjs, 'ESM → CJS']] as const) {
    it(`${label}: each error is an instance of its own class and of AgentVaultError, and of no other class`, () => {
      const errors = everyError(from);
      for (const made of classNames) {
        for (const asked of classNames) {
          const expected = asked === made || asked === 'AgentVaultError';
          expect(errors[made] instanceof to[asked], `${made} instanceof ${asked}`).toBe(expected);
        }
        expect(errors[made]).toBeInstanceOf(Error);
      }
    });
  }

  it('keeps the fields, and the helpers of one copy understand the errors of the other', () => {
    const notFound = new cjs.AgentVaultNotFoundError('none', { path: 'a/b' });
    expect(notFound).toMatchObject({ name: 'AgentVaultNotFoundError', code: 'not_found', statusCode: 404, path: 'a/b' });
    expect(esm.isRetryable(new cjs.AgentVaultUnavailableError('down'))).toBe(true);
    expect(esm.isRetryable(notFound)).toBe(false);
    expect(cjs.isRetryable(new esm.AgentVaultRateLimitError('slow', 1))).toBe(true);
  });

  it('leaves an unbranded subclass to plain instanceof: it is an AgentVaultError, but not every AgentVaultError is one', () => {
    const http = new HttpError(400, 'invalid_request', 'bad');
    expect(http instanceof cjs.AgentVaultError).toBe(true);
    expect(http instanceof esm.AgentVaultError).toBe(true);
    expect(http instanceof cjs.AgentVaultNotFoundError).toBe(false);
    expect(new cjs.AgentVaultError('x') instanceof HttpError).toBe(false);
    expect(new esm.AgentVaultError('x') instanceof HttpError).toBe(false);
  });

  it('is false for anything that is not an AgentVault error', () => {
    for (const value of [new Error('x'), null, undefined, {}, 'AgentVaultError', { code: 'not_found' }]) {
      expect(value instanceof esm.AgentVaultError).toBe(false);
      expect(value instanceof cjs.AgentVaultNotFoundError).toBe(false);
    }
  });
});
