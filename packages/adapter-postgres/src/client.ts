/**
 * The driver surface the adapter needs, typed structurally (as Kysely does) so the package never
 * imports `pg` at its API: a `pg.Pool` fits, and so does any pool with the same `query` / `connect`
 * shape. Only the `connectionString` convenience loads `pg` itself, when the adapter is built.
 */
import { createRequire } from 'node:module';
import { requireDriver } from '@agentvault/core';

export interface PostgresQueryResult {
  rows: unknown[];
  rowCount: number | null;
}

/** One parameterised statement; with `name`, the driver prepares it once per connection (pg's QueryConfig). */
export interface PostgresQueryConfig {
  text: string;
  values?: unknown[];
  name?: string;
}

/** Something that runs one parameterised statement: a pool or a checked-out client. */
export interface PostgresQueryable {
  query(config: PostgresQueryConfig): Promise<PostgresQueryResult>;
}

/** A client checked out of the pool for one transaction. */
export interface PostgresPoolClient extends PostgresQueryable {
  /** Give the client back; a truthy argument tells the pool to discard it (its connection is broken). */
  release(destroy?: Error | boolean): void;
  on?(event: 'error', listener: (error: Error) => void): unknown;
  removeListener?(event: 'error', listener: (error: Error) => void): unknown;
}

export interface PostgresPool extends PostgresQueryable {
  connect(): Promise<PostgresPoolClient>;
  end?(): Promise<void>;
}

export interface ConnectionStringOptions {
  connectionString: string;
  /** Most connections the adapter's own pool opens. Default 10. */
  max?: number;
  /** How long to wait for a connection (new or from the pool) before failing as unavailable. Default 5000. */
  connectionTimeoutMs?: number;
  /** Server-side `statement_timeout` for every connection; unset = the server's default. */
  statementTimeoutMs?: number;
  /** Client-side limit on a query's round trip (pg `query_timeout`); unset = none. */
  queryTimeoutMs?: number;
}

interface PgModule {
  Pool: new (
    config: Record<string, unknown>,
  ) => PostgresPool & {
    on(event: 'error', listener: (error: Error) => void): unknown;
  };
}

/**
 * A `pg.Pool` built when the adapter is (a missing driver is a configuration error at construction;
 * the pool connects on first use), whose `end` may be called more than once.
 */
export function connectionStringPool(options: ConnectionStringOptions): PostgresPool {
  // Resolved from this package (tsup's `shims` give the CJS build `import.meta.url`): `pg` is its peer.
  const pg = requireDriver<PgModule>(createRequire(import.meta.url), 'pg', 'postgresAdapter({ connectionString })');
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    application_name: 'agentvault',
    ...(options.statementTimeoutMs !== undefined ? { statement_timeout: options.statementTimeoutMs } : {}),
    ...(options.queryTimeoutMs !== undefined ? { query_timeout: options.queryTimeoutMs } : {}),
  });
  // An idle connection the server closed: pg-pool has already dropped it; without a listener
  // the 'error' event would crash the process.
  pool.on('error', () => {});
  let ended = false;
  return {
    query: (config) => pool.query(config),
    connect: () => pool.connect(),
    end: async () => {
      // pg-pool rejects a second end; closing the adapter twice is not an error.
      if (ended) return;
      ended = true;
      await pool.end?.();
    },
  };
}
