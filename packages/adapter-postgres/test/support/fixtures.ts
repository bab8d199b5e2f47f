/** Small waits and lock probes for the adapter's own tests. */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/** Poll until `probe` is true (a server-side state we wait for, not a timer we sleep through). */
export async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Backends of `applicationName` waiting on a lock. */
export async function lockWaiters(admin: pg.Pool, applicationName: string): Promise<number[]> {
  const { rows } = await admin.query(
    `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
    [applicationName],
  );
  return rows.map((row) => row.pid as number);
}

/** Settles with 'pending' if `promise` has not settled within `ms`. */
export async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  try {
    return await Promise.race([promise, pending]);
  } finally {
    clearTimeout(timer);
  }
}

export function uniqueAppName(label: string): string {
  return `agentvault-test-${label}-${randomUUID().slice(0, 8)}`;
}
