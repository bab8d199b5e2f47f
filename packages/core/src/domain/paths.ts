/**
 * Secret paths: `/`-separated segments, 1–512 characters, at most 16 segments; a segment is 1–128
 * of `A–Z a–z 0–9 . _ -` and never `.` or `..`. Case-sensitive. Everything past the entry points
 * (scope matching included) runs on paths that passed `pathProblem`.
 */
export const MAX_PATH_LENGTH = 512;
export const MAX_PATH_SEGMENTS = 16;
export const MAX_SEGMENT_LENGTH = 128;

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Why `segment` is not a valid path segment, or null if it is. */
export function segmentProblem(segment: string): string | null {
  if (segment.length === 0) return 'empty segment';
  if (segment.length > MAX_SEGMENT_LENGTH) return `segment longer than ${MAX_SEGMENT_LENGTH} characters`;
  if (segment === '.' || segment === '..') return `"${segment}" is not allowed as a segment`;
  if (!SEGMENT.test(segment)) return 'segments may only hold A-Z a-z 0-9 . _ -';
  return null;
}

const VALID_PATH = /^[A-Za-z0-9._-]{1,128}(?:\/[A-Za-z0-9._-]{1,128}){0,15}$/;
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/** Why `path` is not a valid secret path, or null if it is. The message never echoes the path. */
export function pathProblem(path: string): string | null {
  if (path.length <= MAX_PATH_LENGTH && VALID_PATH.test(path) && !DOT_SEGMENT.test(path)) return null;
  if (path.length === 0) return 'path is empty';
  if (path.length > MAX_PATH_LENGTH) return `path longer than ${MAX_PATH_LENGTH} characters`;
  const segments = path.split('/');
  if (segments.length > MAX_PATH_SEGMENTS) return `path has more than ${MAX_PATH_SEGMENTS} segments`;
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem) return problem;
  }
  return null;
}

/** Why `namespace` is not valid: `""` (everything) or a valid path. */
export function namespaceProblem(namespace: string): string | null {
  return namespace === '' ? null : pathProblem(namespace);
}

/** True if `path` lies under `namespace` on a segment boundary (`prod` never holds `production/x`). */
export function isUnderNamespace(path: string, namespace: string): boolean {
  return (
    namespace === ''
    || (path.length > namespace.length && path.startsWith(namespace) && path[namespace.length] === '/')
  );
}

export function parentPath(path: string): string | null {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? null : path.slice(0, slash);
}
