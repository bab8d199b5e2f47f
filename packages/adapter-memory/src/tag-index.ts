import type { SecretRecord } from '@agentvault/core';

/** Index of the first element of a sorted array that is >= `value` (code-unit order). */
export function lowerBound(sorted: string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A name no tag can have (tag names are printable): the tier is indexed as one more tag. */
export const TIER = '\u0001tier';

/**
 * One tenant's secret paths by tag (key and value) and by tier, each list sorted: tag and tier
 * filters (the tier of a token request's scope among them) read it, not every path.
 */
export class TagIndex {
  readonly #paths = new Map<string, string[]>();

  #edit(record: SecretRecord, add: boolean): void {
    for (const [name, value] of [...Object.entries(record.tags), [TIER, record.tier]]) {
      const tag = `${name}\u0000${value}`;
      const paths = this.#paths.get(tag) ?? [];
      const at = lowerBound(paths, record.path);
      const present = paths[at] === record.path;
      if (add && !present) paths.splice(at, 0, record.path);
      if (!add && present) paths.splice(at, 1);
      if (paths.length === 0) this.#paths.delete(tag);
      else this.#paths.set(tag, paths);
    }
  }

  /** Reindex a secret: `before` is the stored record it replaces (absent for a new one). */
  update(before: SecretRecord | undefined, after: SecretRecord | undefined): void {
    if (before) this.#edit(before, false);
    if (after) this.#edit(after, true);
  }

  /** The shortest sorted list of `all` and each given tag's paths (a superset of the matches), from `low` on. */
  candidates(tags: Array<[string, string]>, low: string, all: string[]): { paths: string[]; from: number } {
    const lists = tags.map(([name, value]) => this.#paths.get(`${name}\u0000${value}`) ?? []);
    const paths = lists.reduce((best, list) => (list.length < best.length ? list : best), all);
    return { paths, from: lowerBound(paths, low) };
  }
}
