/**
 * Matching a request path against the route table. A template such as `/secrets/{path}/rotate`
 * matches segment by segment on the raw path; each `{param}` segment is then percent-decoded
 * exactly once, so `production%2Fopenai%2Fapi-key` is one parameter holding two slashes.
 */
import { HttpError } from './errors';

export interface Template {
  /** Literal segments, or null where a parameter goes. */
  segments: (string | null)[];
  params: string[];
}

export function compileTemplate(path: string): Template {
  const segments: (string | null)[] = [];
  const params: string[] = [];
  for (const segment of path.split('/').slice(1)) {
    const param = /^\{(\w+)\}$/.exec(segment);
    if (param) {
      segments.push(null);
      params.push(param[1]!);
    } else {
      segments.push(segment);
    }
  }
  return { segments, params };
}

/** The raw (still encoded) segments of a path: `/a/b%2Fc/` → `["a", "b%2Fc"]` (one trailing slash is ignored). */
export function splitPath(pathname: string): string[] {
  const trimmed = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  return trimmed.split('/').slice(1);
}

/** The raw parameter values if `segments` fit the template, else null. */
export function matchTemplate(template: Template, segments: string[]): string[] | null {
  if (segments.length !== template.segments.length) return null;
  const values: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const literal = template.segments[i];
    if (literal === null) {
      if (segments[i] === '') return null;
      values.push(segments[i]!);
    } else if (literal !== segments[i]) {
      return null;
    }
  }
  return values;
}

export function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'invalid_request', 'A path parameter holds a malformed percent-encoding');
  }
}
