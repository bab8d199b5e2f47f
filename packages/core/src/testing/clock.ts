import type { Clock } from '../domain/clock';

/** A clock tests move by hand, so nothing sleeps through days. */
export interface ManualClock extends Clock {
  set(ms: number | Date): void;
  advance(ms: number): void;
  advanceSeconds(seconds: number): void;
}

export function manualClock(start: number | Date = Date.UTC(2026, 0, 15, 10, 30)): ManualClock {
  let now = typeof start === 'number' ? start : start.getTime();
  return {
    now: () => now,
    set: (ms) => {
      now = typeof ms === 'number' ? ms : ms.getTime();
    },
    advance: (ms) => {
      now += ms;
    },
    advanceSeconds: (seconds) => {
      now += seconds * 1000;
    },
  };
}
