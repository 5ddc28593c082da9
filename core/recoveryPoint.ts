/**
 * The recovery point objective, declared once: the policy pack's max-interval policy checks at
 * preview that no backup schedule leaves a longer gap, and the alert rules (alerts/) fire at run
 * time when the newest committed set is older. One number, checked before and watched after.
 */

/** Hours a part may go without a committed set (the pack's default maxIntervalHours). */
export const DEFAULT_RECOVERY_POINT_HOURS = 24;
