/** Named leases (one holder at a time, until expiry), without I/O. */
import type { LeaseRecord } from '../contracts/records';

/** May `owner` take or renew this lease at `now`: it is free, expired, or already theirs. */
export function leaseAvailable(lease: LeaseRecord | null, owner: string, now: number): boolean {
  return lease === null || lease.expiresAt <= now || lease.owner === owner;
}
