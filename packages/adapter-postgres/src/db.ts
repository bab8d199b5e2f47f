/**
 * How the adapter talks to the pool: one statement through `pool.query`, or a transaction on one
 * checked-out client. Every failure leaves here as an AgentVault error; a client whose connection
 * broke is released with the error, so the pool discards it instead of handing it out again.
 */
import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient, PostgresQueryable } from './client';
import { isBrokenConnection, toAgentVaultError } from './errors';
import { type Tables, tables } from './tables';

export type Row = Record<string, unknown>;

export interface Query {
  rows<R = Row>(text: string, values?: unknown[]): Promise<R[]>;
  one<R = Row>(text: string, values?: unknown[]): Promise<R | undefined>;
}

/**
 * Statements on `target`; with `mapErrors`, failures leave as AgentVault errors. With `prepare`, each
 * statement is sent with a name derived from its text, so each connection parses and plans it once
 * (the audited read's plan costs more than its execution).
 */
function queryOn(target: PostgresQueryable, prepare: boolean, mapErrors: boolean): Query {
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    const name = names.get(text) ?? `agentvault_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
    return name;
  };
  const rows = async <R>(text: string, values: unknown[] = []): Promise<R[]> => {
    try {
      return (await target.query(prepare ? { name: nameOf(text), text, values } : { text, values })).rows as R[];
    } catch (error) {
      throw mapErrors ? toAgentVaultError(error) : error;
    }
  };
  return { rows, one: async <R>(text: string, values?: unknown[]) => (await rows<R>(text, values))[0] };
}

/** A parameter of a statement being built: appends `value` to `values` and returns its placeholder, `$n`. */
export const placeholder = (values: unknown[]) => (value: unknown): string => `$${values.push(value)}`;

/** Paths under namespace `ns` (not `ns` itself): the range [ns + "/", ns + "0"), as "0" follows "/". */
export const underNamespace = (column: string, ns: string, $: (value: unknown) => string) =>
  [`${column} >= ${$(`${ns}/`)}`, `${column} < ${$(`${ns}0`)}`];

export class Db {
  readonly t: Tables;
  readonly #pool: PostgresPool;
  /** One statement on any pooled connection: atomic on its own. */
  readonly direct: Query;
  /** Fixed statements on the hot path, each prepared once per connection unless disabled. */
  readonly hot: Query;

  constructor(pool: PostgresPool, schema: string, options: { preparedStatements: boolean }) {
    this.#pool = pool;
    this.t = tables(schema);
    this.direct = queryOn(pool, false, true);
    this.hot = queryOn(pool, options.preparedStatements, true);
  }

  /**
   * Run `work` between BEGIN and COMMIT on one client (READ COMMITTED). Anything thrown rolls the
   * transaction back and is rethrown as an AgentVault error.
   */
  async transaction<T>(work: (q: Query) => Promise<T>): Promise<T> {
    let client: PostgresPoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw toAgentVaultError(error);
    }
    // A connection that dies while checked out emits 'error' on the client; pg-pool listens only
    // while the client is idle, so without this the event would crash the process.
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken ??= error;
    };
    client.on?.('error', onError);
    try {
      await client.query({ text: 'BEGIN' });
      const result = await work(queryOn(client, false, false));
      await client.query({ text: 'COMMIT' });
      return result;
    } catch (error) {
      if (isBrokenConnection(error)) broken ??= error as Error;
      else if (!broken) {
        try {
          await client.query({ text: 'ROLLBACK' });
        } catch (rollbackError) {
          broken = rollbackError as Error;
        }
      }
      throw toAgentVaultError(error);
    } finally {
      client.removeListener?.('error', onError);
      client.release(broken ?? false);
    }
  }

  async end(): Promise<void> {
    await this.#pool.end?.();
  }
}
