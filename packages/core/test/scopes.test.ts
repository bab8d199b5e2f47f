import { describe, expect, it } from 'vitest';
import {
  parseScope,
  patternCoversNamespace,
  patternMatches,
  patternWithin,
  requiredScopeFor,
  scopeAllows,
  scopeAllowsList,
  scopeWithin,
} from '../src/domain/scopes';
import { AgentVaultValidationError } from '../src/errors';

const seg = (s: string) => s.split('/');

describe('scope grammar', () => {
  it('parses grants and audit:read, normalizing spaces and duplicates', () => {
    const scope = parseScope(
      '  secrets:read:production/openai/*   secrets:read:production/openai/*\tsecrets:*:staging/* audit:read ',
    );
    expect(scope.text).toBe('secrets:read:production/openai/* secrets:*:staging/* audit:read');
    expect(scope.grants.map((g) => [g.action, g.pattern])).toEqual([
      ['read', 'production/openai/*'],
      ['*', 'staging/*'],
    ]);
    expect(scope.auditRead).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['secrets:read:open*', 'partial-segment glob'],
    ['secrets:read:production/open*/key', 'partial-segment glob inside'],
    ['secrets:read:*ai', 'leading partial glob'],
    ['secrets:fetch:production/*', 'unknown action'],
    ['secrets::production/*', 'empty action'],
    ['secrets:read:', 'empty pattern'],
    ['secrets:read:production//x', 'empty segment'],
    ['secrets:read:production/../x', 'dot-dot segment'],
    ['secrets:read:/production', 'leading slash'],
    ['keys:read:production/*', 'unknown resource'],
    ['audit:write', 'unknown audit scope'],
    ['secrets:read:production/openai/* secrets:bogus:x', 'one bad grant among good ones'],
  ])('refuses %j (%s)', (text) => {
    expect(() => parseScope(text)).toThrow(AgentVaultValidationError);
  });
});

describe('pattern matching', () => {
  it.each([
    ['production/openai/*', 'production/openai/api-key', true],
    ['production/openai/*', 'production/openai/nested/key', true],
    ['production/openai/*', 'production/openai', false],
    ['production/openai/*', 'production/openai-evil/x', false],
    ['production/openai/*', 'production/openaix/api-key', false],
    ['production/*/api-key', 'production/openai/api-key', true],
    ['production/*/api-key', 'production/a/b/api-key', false],
    ['production/*/api-key', 'production/openai/api-key2', false],
    ['*', 'anything', true],
    ['*', 'a/b/c', true],
    ['production/openai/api-key', 'production/openai/api-key', true],
    ['production/openai/api-key', 'production/openai/api-key/x', false],
    ['*/openai/*', 'staging/openai/key', true],
    ['*/openai/*', 'staging/openai', false],
  ])('%s matches %s: %s', (pattern, path, expected) => {
    expect(patternMatches(seg(pattern), seg(path))).toBe(expected);
  });

  it('allows an action only under a grant for it', () => {
    const scope = parseScope('secrets:read:production/openai/* secrets:*:sandbox/*');
    expect(scopeAllows(scope, 'read', 'production/openai/key')).toBe(true);
    expect(scopeAllows(scope, 'write', 'production/openai/key')).toBe(false);
    expect(scopeAllows(scope, 'delete', 'sandbox/x')).toBe(true);
    expect(scopeAllows(scope, 'read', 'production/stripe/key')).toBe(false);
  });

  it('covers a namespace for listing only when every path under it matches', () => {
    expect(patternCoversNamespace(seg('production/*'), 'production')).toBe(true);
    expect(patternCoversNamespace(seg('production/*'), 'production/openai')).toBe(true);
    expect(patternCoversNamespace(seg('production/openai/*'), 'production')).toBe(false);
    expect(patternCoversNamespace(seg('*'), '')).toBe(true);
    expect(patternCoversNamespace(seg('production/*'), '')).toBe(false);
    expect(patternCoversNamespace(seg('*/openai/*'), 'staging/openai')).toBe(true);
    expect(patternCoversNamespace(seg('production/key'), 'production')).toBe(false);
    const scope = parseScope('secrets:write:production/* secrets:list:staging/*');
    expect(scopeAllowsList(scope, 'production')).toBe(false);
    expect(scopeAllowsList(scope, 'staging/app')).toBe(true);
  });

  it('lets a read grant list the namespaces it covers, and no wider one', () => {
    const scope = parseScope('secrets:read:production/stripe/*');
    expect(scopeAllowsList(scope, 'production/stripe')).toBe(true);
    expect(scopeAllowsList(scope, 'production/stripe/live')).toBe(true);
    expect(scopeAllowsList(scope, 'production')).toBe(false);
    expect(scopeAllowsList(scope, 'production/openai')).toBe(false);
    expect(scopeAllowsList(parseScope('secrets:rotate:production/stripe/*'), 'production/stripe')).toBe(false);
    // A child may hold the listing its parent's read grant implies, never the reverse.
    expect(scopeWithin(parseScope('secrets:list:production/stripe/*'), scope)).toBe(true);
    expect(scopeWithin(scope, parseScope('secrets:list:production/stripe/*'))).toBe(false);
  });

  it.each([
    ['production/openai/*', 'production/*', true],
    ['production/openai/key', 'production/*', true],
    ['production/*', 'production/openai/*', false],
    ['*', 'production/*', false],
    ['production/*', '*', true],
    ['production/*/key', 'production/*', true],
    ['production/*/key', 'production/*/key', true],
    ['production/*/key', 'production/openai/key', false],
    ['production/openai/key', 'production/*/key', true],
    ['production/openai/*', 'production/*/key', false],
    ['a/b', 'a/b/*', false],
  ])('%s lies within %s: %s', (child, parent, expected) => {
    expect(patternWithin(seg(child), seg(parent))).toBe(expected);
  });

  it('keeps actions and audit:read within the parent scope', () => {
    const parent = parseScope('secrets:read:production/* secrets:list:production/*');
    expect(scopeWithin(parseScope('secrets:read:production/openai/*'), parent)).toBe(true);
    expect(scopeWithin(parseScope('secrets:write:production/openai/*'), parent)).toBe(false);
    expect(scopeWithin(parseScope('secrets:*:production/openai/*'), parent)).toBe(false);
    expect(scopeWithin(parseScope('audit:read'), parent)).toBe(false);
    expect(
      scopeWithin(parseScope('secrets:read:production/x audit:read'), parseScope('secrets:*:* audit:read')),
    ).toBe(true);
  });

  it('names the required scope as the folder of the path', () => {
    expect(requiredScopeFor('read', 'production/stripe/api-key')).toBe('secrets:read:production/stripe/*');
    expect(requiredScopeFor('write', 'toplevel')).toBe('secrets:write:toplevel');
  });
});
