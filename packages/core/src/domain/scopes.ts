/**
 * Scopes: `secrets:<action>:<pattern>` grants, and `audit:read`, separated by spaces.
 * In a pattern, `*` as the last segment matches one or more further segments, `*` as an inner
 * segment matches exactly one, and `*` alone matches every path. Partial-segment globs are refused.
 */
import { AgentVaultValidationError, type ValidationIssue } from '../errors';
import { MAX_PATH_LENGTH, MAX_PATH_SEGMENTS, parentPath, segmentProblem } from './paths';

export const SCOPE_ACTIONS = ['read', 'list', 'write', 'rotate', 'delete', '*'] as const;
export type ScopeAction = (typeof SCOPE_ACTIONS)[number];
/** An action an operation needs (never `*`). */
export type SecretAction = Exclude<ScopeAction, '*'>;

export interface ScopeGrant {
  action: ScopeAction;
  pattern: string;
  segments: readonly string[];
}

export interface Scope {
  /** Normalized text: grants in their given order, duplicates dropped, single spaces. */
  text: string;
  grants: readonly ScopeGrant[];
  auditRead: boolean;
}

const AUDIT_READ = 'audit:read';

function patternProblem(pattern: string): string | null {
  if (pattern.length === 0) return 'empty pattern';
  if (pattern.length > MAX_PATH_LENGTH) return `pattern longer than ${MAX_PATH_LENGTH} characters`;
  const segments = pattern.split('/');
  if (segments.length > MAX_PATH_SEGMENTS) return `pattern has more than ${MAX_PATH_SEGMENTS} segments`;
  for (const segment of segments) {
    if (segment === '*') continue;
    if (segment.includes('*')) return 'partial-segment globs are not supported; use * as a whole segment';
    const problem = segmentProblem(segment);
    if (problem) return problem;
  }
  return null;
}

/** Parse and validate a scope string; throws AgentVaultValidationError listing every bad grant. */
export function parseScope(text: string): Scope {
  const parts = text.split(/\s+/).filter((part) => part.length > 0);
  const issues: ValidationIssue[] = [];
  if (parts.length === 0) issues.push({ path: ['scope'], message: 'scope is empty' });
  const grants: ScopeGrant[] = [];
  const seen = new Set<string>();
  let auditRead = false;
  parts.forEach((part, index) => {
    if (seen.has(part)) return;
    seen.add(part);
    if (part === AUDIT_READ) {
      auditRead = true;
      return;
    }
    const match = /^secrets:([^:]+):(.+)$/.exec(part);
    if (!match) {
      issues.push({ path: ['scope', index], message: 'expected secrets:<action>:<pattern> or audit:read' });
      return;
    }
    const action = match[1] as ScopeAction;
    const pattern = match[2]!;
    if (!SCOPE_ACTIONS.includes(action)) {
      issues.push({
        path: ['scope', index],
        message: `unknown action; use one of ${SCOPE_ACTIONS.join(', ')}`,
      });
      return;
    }
    const problem = patternProblem(pattern);
    if (problem) {
      issues.push({ path: ['scope', index], message: problem });
      return;
    }
    grants.push({ action, pattern, segments: pattern.split('/') });
  });
  if (issues.length > 0) throw new AgentVaultValidationError('Invalid scope', issues);
  const normalized = [
    ...grants.map((g) => `secrets:${g.action}:${g.pattern}`),
    ...(auditRead ? [AUDIT_READ] : []),
  ];
  return { text: normalized.join(' '), grants, auditRead };
}

/** Does a pattern match a (validated) path? */
export function patternMatches(pattern: readonly string[], path: readonly string[]): boolean {
  const last = pattern.length - 1;
  if (pattern[last] === '*') {
    if (path.length < pattern.length) return false;
  } else if (path.length !== pattern.length) {
    return false;
  }
  for (let i = 0; i < last; i++) {
    if (pattern[i] !== '*' && pattern[i] !== path[i]) return false;
  }
  return pattern[last] === '*' || pattern[last] === path[last];
}

/**
 * Does a grant of `granted` cover `needed`? A read grant also covers listing the paths it
 * matches: a holder can read every one of them, so their metadata reveals nothing more.
 */
function actionCovers(granted: ScopeAction, needed: ScopeAction): boolean {
  return granted === '*' || granted === needed || (granted === 'read' && needed === 'list');
}

/** May a holder of `scope` do `action` on `path`? */
export function scopeAllows(scope: Scope, action: SecretAction, path: string): boolean {
  const segments = path.split('/');
  return scope.grants.some((g) => actionCovers(g.action, action) && patternMatches(g.segments, segments));
}

/**
 * Does `pattern` match every path under `namespace` (`""` = every path)? Paths under a namespace
 * have at least one more segment, so a trailing `*` that starts at or before that segment covers them.
 */
export function patternCoversNamespace(pattern: readonly string[], namespace: string): boolean {
  const ns = namespace === '' ? [] : namespace.split('/');
  const last = pattern.length - 1;
  if (pattern[last] !== '*' || last > ns.length) return false;
  for (let i = 0; i < last; i++) {
    if (pattern[i] !== '*' && pattern[i] !== ns[i]) return false;
  }
  return true;
}

/** May a holder of `scope` list everything under `namespace`? (a `list`, `read` or `*` grant covering it) */
export function scopeAllowsList(scope: Scope, namespace: string): boolean {
  return scope.grants.some(
    (g) => actionCovers(g.action, 'list') && patternCoversNamespace(g.segments, namespace),
  );
}

/** Every path `child` matches is matched by `parent`. */
export function patternWithin(child: readonly string[], parent: readonly string[]): boolean {
  const cLast = child.length - 1;
  const pLast = parent.length - 1;
  const childOpen = child[cLast] === '*';
  const parentOpen = parent[pLast] === '*';
  if (childOpen && !parentOpen) return false;
  if (parentOpen ? parent.length > child.length : parent.length !== child.length) return false;
  const fixed = parentOpen ? pLast : parent.length;
  for (let i = 0; i < fixed; i++) {
    if (parent[i] === '*') continue;
    if (child[i] === '*' || child[i] !== parent[i]) return false;
  }
  return true;
}

/** Every grant of `child` is covered by one grant of `parent`, and `audit:read` only if the parent has it. */
export function scopeWithin(child: Scope, parent: Scope): boolean {
  if (child.auditRead && !parent.auditRead) return false;
  return child.grants.every((c) =>
    parent.grants.some((p) => actionCovers(p.action, c.action) && patternWithin(c.segments, p.segments)),
  );
}

/** The grant a refusal names: the path's folder with `*`, as in `secrets:read:production/stripe/*`. */
export function requiredScopeFor(action: SecretAction, path: string): string {
  const parent = parentPath(path);
  return `secrets:${action}:${parent === null ? path : `${parent}/*`}`;
}

export function requiredListScopeFor(namespace: string): string {
  return `secrets:list:${namespace === '' ? '*' : `${namespace}/*`}`;
}

/**
 * The literal prefix of a pattern before its first `*`, as a namespace: every path the pattern
 * matches lies under it (or equals it, for a pattern without `*`).
 */
export function patternNamespace(pattern: readonly string[]): string {
  const star = pattern.indexOf('*');
  return (star === -1 ? pattern.slice(0, -1) : pattern.slice(0, star)).join('/');
}
