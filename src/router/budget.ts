// Work budgets of one session: what its messages make the server do for
// others, as opposed to the inbound rate limit (./limits.ts), which counts
// messages. One client broadcast or presence change costs work per
// recipient, so a message rate alone lets one client keep the event loop
// busy for everyone. A budget is a token bucket that holds one second's
// worth of work. An action goes ahead while the balance is positive and is
// charged its full cost, possibly into debt: a single action larger than
// the bucket stays possible, and the debt is earned back at the rate before
// the next one (the average never exceeds the rate).

/** A budget's state: two numbers, refilled lazily (no timer). */
export interface Budget {
  tokens: number;
  /** performance.now() of the last refill. */
  stamp: number;
}

/** A full budget: one second's worth of work. */
export function fullBudget(perSecond: number, now: number): Budget {
  return { tokens: perSecond, stamp: now };
}

/**
 * Adds what `perSecond` earned since the last refill, up to `cap` (by
 * default one second's worth). Shared with the inbound rate limit
 * (./limits.ts), whose bucket holds `burst` tokens.
 */
export function refill(budget: Budget, perSecond: number, now: number, cap = perSecond): void {
  const elapsed = now - budget.stamp;
  budget.stamp = now;
  if (elapsed > 0) budget.tokens = Math.min(cap, budget.tokens + (elapsed * perSecond) / 1000);
}

/** Charges `cost` if the balance is positive; false (nothing charged) when it is spent. */
export function spend(budget: Budget, perSecond: number, cost: number, now: number): boolean {
  refill(budget, perSecond, now);
  if (budget.tokens <= 0) return false;
  budget.tokens -= cost;
  return true;
}

/** Milliseconds until the balance is positive again (0: it is). */
export function waitFor(budget: Budget, perSecond: number, now: number): number {
  refill(budget, perSecond, now);
  // The +1 token keeps a timer set for this wait from firing a hair early.
  return budget.tokens > 0 ? 0 : ((1 - budget.tokens) * 1000) / perSecond;
}
