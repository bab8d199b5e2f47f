/** A WHERE clause built from optional filters, with named parameters only (no value is ever spliced into SQL). */
export class Where {
  readonly #clauses: string[] = [];
  readonly params: Record<string, unknown> = {};

  /** Add `clause`, binding each `@name` it uses from `params`. */
  and(clause: string, params: Record<string, unknown> = {}): this {
    this.#clauses.push(clause);
    Object.assign(this.params, params);
    return this;
  }

  /** `column IN (@name0, @name1, …)`; an empty list matches nothing. */
  in(column: string, name: string, values: readonly string[]): this {
    const names = values.map((_, i) => `@${name}${i}`);
    values.forEach((value, i) => (this.params[`${name}${i}`] = value));
    return this.and(`${column} IN (${names.join(', ') || 'NULL'})`);
  }

  /** Paths under `namespace + "/"`: '0' follows '/' in code-unit order, so [ns/, ns0) is exactly them. */
  under(column: string, namespace: string): this {
    return this.and(`${column} >= @low AND ${column} < @high`, { low: `${namespace}/`, high: `${namespace}0` });
  }

  toString(): string {
    return this.#clauses.join(' AND ');
  }
}
