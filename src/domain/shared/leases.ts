import { ensure } from './domainError.js';

/** Refuses a lease that would end before (or when) it is taken or renewed. */
export function requireFutureLease(leaseUntil: string, at: string): void {
  ensure(
    Date.parse(leaseUntil) > Date.parse(at),
    'LEASE_IN_THE_PAST',
    `A lease must end after it is taken or renewed: leaseUntil ${leaseUntil} is not after ${at}.`,
    { leaseUntil, at },
  );
}
