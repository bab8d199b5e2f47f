/**
 * Option objects are checked against the names a method knows: a misspelt or unsupported option
 * (say `tagz`, or a seed SDK option this client lacks) is an AgentVaultValidationError, never
 * silently dropped, since dropping a filter would return more than the caller asked for.
 */
import { AgentVaultValidationError } from '@agentvault/core/errors';

const CALL_KEYS = ['token', 'signal'] as const;

/** Throw unless every own key of `options` is one of `known` (or a call option). */
export function knownOptions(method: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new AgentVaultValidationError(`${method}: options must be an object`, [
      { path: ['options'], message: 'expected an object' },
    ]);
  }
  const allowed = new Set<string>([...known, ...CALL_KEYS]);
  // An option given as `undefined` is not given (`{ cursor: undefined }` as in the seed).
  const unknown = Object.entries(options)
    .filter(([key, value]) => value !== undefined && !allowed.has(key))
    .map(([key]) => key);
  if (unknown.length > 0) {
    throw new AgentVaultValidationError(
      `${method}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}`,
      unknown.map((key) => ({ path: [key], message: `unknown option; known: ${[...allowed].sort().join(', ')}` })),
    );
  }
}

/**
 * A tag filter as repeated `tag=key:value` query values. The server ends a key at its first `:`,
 * so a key holding `:` cannot be expressed and is refused here rather than misread there.
 */
export function tagQuery(tags: Record<string, string> | undefined): string[] | undefined {
  if (tags === undefined) return undefined;
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
    throw new AgentVaultValidationError('listSecrets: tags must be an object of key → value', [
      { path: ['tags'], message: 'expected an object' },
    ]);
  }
  const entries = Object.entries(tags);
  const issues = entries.flatMap(([key, value]) => {
    if (typeof value !== 'string') return [{ path: ['tags', key], message: 'expected a string value' }];
    if (key.length === 0 || key.includes(':'))
      return [{ path: ['tags', key], message: 'a tag key filtered on may not be empty or hold ":"' }];
    return [];
  });
  if (issues.length > 0) throw new AgentVaultValidationError('listSecrets: invalid tag filter', issues);
  return entries.length === 0 ? undefined : entries.map(([key, value]) => `${key}:${value}`);
}
