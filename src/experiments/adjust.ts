// The seed's adjust rule (generator-notes.md): compare the teacher's clean and PGD accuracy on a fresh
// fake set with its accuracy on the real test set (percentage points) and choose what to train on next.
export type AdjustDecision = 'single' | 'single+pgd' | 'mixed' | 'stop';

export interface AdjustBounds {
  org: number;
  pgd: number;
}
export const ADJUST_DEFAULTS = { orgBound: 3, pgdBound: 1, widenEvery: 300, widenBy: 1 } as const;

/** Accuracies as fractions in [0, 1]; bounds in percentage points. */
export function adjustDecision(
  fake: { clean: number; pgd: number },
  real: { clean: number; pgd: number },
  b: AdjustBounds,
): { decision: AdjustDecision; orgDiff: number; pgdDiff: number } {
  const orgDiff = 100 * (fake.clean - real.clean);
  const pgdDiff = 100 * (fake.pgd - real.pgd);
  let decision: AdjustDecision;
  if (orgDiff < -b.org) decision = pgdDiff < -b.pgd ? 'single+pgd' : 'single';
  else if (pgdDiff < -b.pgd) decision = 'single+pgd';
  else if (pgdDiff > b.pgd) decision = 'mixed';
  else decision = 'stop';
  return { decision, orgDiff, pgdDiff };
}

/**
 * The bounds at round `round` (0-based), as the seed's counter gives them: each round it widens both bounds
 * when its count exceeds widenEvery (then restarts from 0), else counts up. So the first widening comes at
 * round widenEvery + 1 and the next ones every widenEvery + 2 rounds (301, 603, 905, ... for 300).
 */
export function boundsAt(
  round: number,
  base: AdjustBounds,
  widenEvery: number = ADJUST_DEFAULTS.widenEvery,
  widenBy: number = ADJUST_DEFAULTS.widenBy,
): AdjustBounds {
  const widenings = round > widenEvery ? Math.floor((round - widenEvery - 1) / (widenEvery + 2)) + 1 : 0;
  const w = widenings * widenBy;
  return { org: base.org + w, pgd: base.pgd + w };
}
