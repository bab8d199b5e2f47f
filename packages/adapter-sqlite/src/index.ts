/**
 * `@agentvault/adapter-sqlite`: AgentVault storage in one SQLite file.
 *
 *   const storage = sqliteAdapter({ path: './data/vault.db' });
 *   const vault = createVault({ storage, keys });
 */
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { SqliteAdapter } from './adapter';

export { SqliteAdapter } from './adapter';

export type SqliteAdapterOptions =
  /** A database file (created if missing; WAL mode). `:memory:` keeps everything in this process. */
  | { path: string }
  /** A `better-sqlite3` database you opened and close yourself. */
  | { database: Database };

export function sqliteAdapter(options: SqliteAdapterOptions): SqliteAdapter {
  return 'database' in options ? new SqliteAdapter(options.database, false) : new SqliteAdapter(new BetterSqlite3(options.path));
}
