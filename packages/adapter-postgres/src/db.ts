/**
 * How the adapter talks to the pool: one statement through `pool.query`, or a transaction on one
 * checked-out client. Every failure leaves here as an AgentVault error; a client whose connection
 * broke is released with the error, so the pool discards it instead of handing it out again.
 */
import type { PostgresPool, PostgresPoolClient, PostgresQueryable } from './client';
import { isBrokenConnection, toAgentVaultError } from './errors';
import { type Tables, tables } from './tables';

export type Row = Record<string, unknown>;

export interface Query {
  rows<R = Row>(text: string, values?: unknown[]): Promise<R[]>;
  one<R = Row>(text: string, values?: unknown[]): Promise<R | undefined>;
}

function queryOn(target: PostgresQueryable): Query {
  const rows = async <R>(text: string, values: unknown[] = []): Promise<R[]> =>
    (await target.query(text, values)).rows as R[];
  return { rows, one: async <R>(text: string, values?: unknown[]) => (await rows<R>(text, values))[0] };
}

export class Db implements Query {
  readonly t: Tables;
  readonly #pool: PostgresPool;
  readonly #direct: Query;

  constructor(pool: PostgresPool, schema: string) {
    this.#pool = pool;
    this.t = tables(schema);
    this.#direct = queryOn(pool);
  }

  /** One statement on any pooled connection: atomic on its own. */
  async rows<R = Row>(text: string, values?: unknown[]): Promise<R[]> {
    try {
      return await this.#direct.rows<R>(text, values);
    } catch (error) {
      throw toAgentVaultError(error);
    }
  }

  async one<R = Row>(text: string, values?: unknown[]): Promise<R | undefined> {
    return (await this.rows<R>(text, values))[0];
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
      await client.query('BEGIN');
      const result = await work(queryOn(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (isBrokenConnection(error)) broken ??= error as Error;
      else if (!broken) {
        try {
          await client.query('ROLLBACK');
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
