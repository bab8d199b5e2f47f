/** A pool wrapper that remembers the statements the adapter sends (and still runs them). */
import type pg from 'pg';
import type { PostgresPool } from '../../src/index';

export interface RecordingPool extends PostgresPool {
  statements: { text: string; values: unknown[] }[];
  last(): { text: string; values: unknown[] };
}

export function recordingPool(pool: pg.Pool): RecordingPool {
  const statements: { text: string; values: unknown[] }[] = [];
  return {
    statements,
    last: () => {
      const statement = statements.at(-1);
      if (!statement) throw new Error('no statement recorded');
      return statement;
    },
    query: (config) => {
      statements.push({ text: config.text, values: config.values ?? [] });
      return pool.query(config);
    },
    connect: () => pool.connect(),
  };
}
