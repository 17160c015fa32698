/**
 * workerd's clearTimeout accepts `undefined` (a no-op, as in every JavaScript runtime), but the
 * Workers types only say `number | null`; this overload lets a not-yet-armed timer be cleared.
 */
declare function clearTimeout(timeoutId: number | null | undefined): void;
