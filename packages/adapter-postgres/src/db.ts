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
 * Statements on the hot path are sent with a name derived from their text, so each connection
 * parses and plans them once (the audited read's plan costs more than its execution).
 */
export class StatementNames {
  readonly #names = new Map<string, string>();
  constructor(readonly enabled: boolean) {}

  nameOf(text: string): string | undefined {
    if (!this.enabled) return undefined;
    let name = this.#names.get(text);
    if (!name) {
      name = `agentvault_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      this.#names.set(text, name);
    }
    return name;
  }
}

/** Statements on `target`; with `mapErrors`, failures leave as AgentVault errors. */
function queryOn(target: PostgresQueryable, names: StatementNames | null, mapErrors: boolean): Query {
  const rows = async <R>(text: string, values: unknown[] = []): Promise<R[]> => {
    const name = names?.nameOf(text);
    try {
      return (await target.query(name ? { name, text, values } : { text, values })).rows as R[];
    } catch (error) {
      throw mapErrors ? toAgentVaultError(error) : error;
    }
  };
  return { rows, one: async <R>(text: string, values?: unknown[]) => (await rows<R>(text, values))[0] };
}

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
    this.direct = queryOn(pool, null, true);
    this.hot = queryOn(pool, new StatementNames(options.preparedStatements), true);
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
      const result = await work(queryOn(client, null, false));
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
