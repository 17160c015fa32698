/**
 * One alarm invocation may run 15 minutes. Its budget (TURN_HANDOVER_SECONDS, 840 by default) is
 * counted from the moment the alarm started — not from when the turn lock came free — and it
 * includes the final delivery: the event stream is followed until `streamUntil`, which leaves
 * DELIVERY_RESERVE for delivering a reply that ends right then; a delivery that would wait past
 * `deliverUntil` (a long 429) hands over instead, and the next invocation carries it on.
 */

export interface AlarmBudget {
  /** Epoch ms after which the turn's stream is handed over to the next invocation. */
  streamUntil: number;
  /** Epoch ms after which the final delivery is handed over. */
  deliverUntil: number;
}

/** Time kept for the final delivery at the end of the budget: a minute, or a quarter of a short budget. */
const DELIVERY_RESERVE_MS = 60_000;

export function alarmBudget(startedAt: number, budgetMs: number): AlarmBudget {
  const reserve = Math.min(DELIVERY_RESERVE_MS, budgetMs / 4);
  return { streamUntil: startedAt + budgetMs - reserve, deliverUntil: startedAt + budgetMs };
}
