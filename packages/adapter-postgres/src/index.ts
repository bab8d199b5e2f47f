export {
  PostgresAdapter,
  type PostgresAdapterOptions,
  type PostgresConnection,
  postgresAdapter,
} from './adapter';
export type {
  ConnectionStringOptions,
  PostgresPool,
  PostgresPoolClient,
  PostgresQueryable,
  PostgresQueryResult,
} from './client';
export type { MigrationResult } from './migrations';
