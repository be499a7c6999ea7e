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

/** Bounds after `round` rounds: both widen by widenBy every widenEvery rounds. */
export function boundsAt(
  round: number,
  base: AdjustBounds,
  widenEvery: number = ADJUST_DEFAULTS.widenEvery,
  widenBy: number = ADJUST_DEFAULTS.widenBy,
): AdjustBounds {
  const w = Math.floor(round / widenEvery) * widenBy;
  return { org: base.org + w, pgd: base.pgd + w };
}
