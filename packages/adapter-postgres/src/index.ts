export { PostgresAdapter, type PostgresAdapterOptions, type PostgresConnection, postgresAdapter } from './adapter';
export type {
  ConnectionStringOptions, PostgresPool, PostgresPoolClient, PostgresQueryable, PostgresQueryConfig, PostgresQueryResult,
} from './client';
export type { MigrationResult } from './migrations';
