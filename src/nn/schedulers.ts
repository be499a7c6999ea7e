// Learning-rate schedules as pure functions of the position in training, so nothing is stateful, nothing
// recompiles, and a resumed run gets the same rate from (epoch, batch) alone.

export interface SchedulePosition {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
}
export type Schedule = (pos: SchedulePosition) => number;

/** torch.optim.lr_scheduler.MultiStepLR stepped once per epoch: base * gamma^(milestones passed). */
export function multiStepLR(base: number, milestones: number[], gamma: number): Schedule {
  const ms = [...milestones].sort((a, b) => a - b);
  return ({ epoch }) => base * gamma ** ms.filter((m) => m <= epoch).length;
}

/** Linear per-batch warm-up over the first `epochs` epochs, multiplying an inner schedule. */
export function linearWarmup(inner: Schedule, epochs = 1): Schedule {
  return (pos) => {
    const step = pos.epoch * pos.batchesPerEpoch + pos.batch;
    const total = epochs * pos.batchesPerEpoch;
    const factor = step < total ? (step + 1) / total : 1;
    return inner(pos) * factor;
  };
}

export const constantLR =
  (lr: number): Schedule =>
  () =>
    lr;
