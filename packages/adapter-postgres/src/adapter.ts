/**
 * StorageAdapter (v2) on PostgreSQL. The audited read and the version write are one statement
 * each; `commit` is one transaction; the rest are single statements. Tables live in one schema
 * (default `agentvault`) created and upgraded by `migrate()`, which the adapter never runs by itself.
 */
import type {
  AuditEvent, AuditQuery, DueQuery, DueResult, ListRecordsQuery, ListSecretsPage, ListSecretsQuery, ReadResult,
  ReadSecretInput, RecordFilters, RecordKey, StorageAdapter, StorageInput, Stored,
} from '@agentvault/core';
import { queryAudit, readAudit } from './audit';
import { type ConnectionStringOptions, connectionStringPool, type PostgresPool } from './client';
import { Db } from './db';
import * as listings from './listings';
import { type MigrationResult, migrate } from './migrations';
import { readSecret, readSecretStatement } from './read';
import { commit, findCredential, getRecords } from './records';
import { writeStatements, writeVersion } from './write';

export type PostgresConnection = { pool: PostgresPool } | ConnectionStringOptions;

export interface PostgresAdapterOptions {
  /** Schema holding the tables (created by `migrate()`). Default `agentvault`. */
  schema?: string;
  /** Adapter name in wrapped errors. Default `postgres`. */
  name?: string;
  /**
   * Send the hot statements (the audited read, the version write, the credential lookup) as named
   * prepared statements, planned once per connection. Default true; set false behind a pooler that
   * cannot keep them (PgBouncer in transaction mode before 1.21, or without `max_prepared_statements`).
   */
  preparedStatements?: boolean;
}

export class PostgresAdapter implements StorageAdapter {
  readonly name: string;
  readonly schema: string;
  readonly #db: Db;
  readonly #ownsPool: boolean;
  readonly #readSql: { withToken: string; withoutToken: string };
  readonly #writeSql: ReturnType<typeof writeStatements>;

  constructor(connection: PostgresConnection, options: PostgresAdapterOptions = {}) {
    this.name = options.name ?? 'postgres';
    this.schema = options.schema ?? 'agentvault';
    this.#ownsPool = !('pool' in connection);
    const pool = 'pool' in connection ? connection.pool : connectionStringPool(connection);
    this.#db = new Db(pool, this.schema, { preparedStatements: options.preparedStatements ?? true });
    this.#readSql = {
      withToken: readSecretStatement(this.#db.t, true),
      withoutToken: readSecretStatement(this.#db.t, false),
    };
    this.#writeSql = writeStatements(this.#db.t);
  }

  /**
   * Create or upgrade the schema. Idempotent and safe to call from many processes at once
   * (serialized by an advisory lock); call it at deploy time or once at startup.
   */
  migrate(): Promise<MigrationResult> {
    return migrate(this.#db);
  }

  readSecret(input: ReadSecretInput): Promise<ReadResult> {
    return readSecret(this.#db.hot, input.token ? this.#readSql.withToken : this.#readSql.withoutToken, input);
  }

  writeVersion = (input: StorageInput<'writeVersion'>): Promise<Stored<'secret'>> => writeVersion(this.#db.hot, this.#writeSql, input);
  getRecords = async (keys: RecordKey[]): Promise<Array<Stored | null>> => (keys.length === 0 ? [] : getRecords(this.#db, keys));
  findCredential = (hash: string) => findCredential(this.#db.hot, this.#db.t, hash);
  commit = (input: StorageInput<'commit'>): Promise<number[]> => commit(this.#db, input);
  listSecrets = (query: ListSecretsQuery): Promise<ListSecretsPage> => listings.listSecrets(this.#db, query);
  listRecords = <K extends keyof RecordFilters>(query: ListRecordsQuery<K>): Promise<Stored<K>[]> =>
    listings.listRecords(this.#db, query);

  listDue = <Q extends DueQuery>(query: Q): Promise<DueResult<Q>> => listings.listDue(this.#db, query);
  listWrappedKeys = (query: StorageInput<'listWrappedKeys'>) => listings.listWrappedKeys(this.#db, query);
  queryAudit = (query: AuditQuery): Promise<AuditEvent[]> => queryAudit(this.#db, query);
  readAudit = (query: StorageInput<'readAudit'>): Promise<AuditEvent[]> => readAudit(this.#db, query);

  /** Ends the pool if the adapter created it (`connectionString`); a pool passed in is the caller's to end. */
  async close(): Promise<void> {
    if (this.#ownsPool) await this.#db.end();
  }
}

/**
 * PostgreSQL storage. Pass your `pg.Pool` (`{ pool }`) or a connection string. Run
 * `await adapter.migrate()` once (deploy step or startup) before the first call.
 */
export function postgresAdapter(connection: PostgresConnection, options: PostgresAdapterOptions = {}): PostgresAdapter {
  return new PostgresAdapter(connection, options);
}
