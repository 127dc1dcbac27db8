// Validation figures for a probabilistic classifier: rank-based AUC (ties count half), Brier score, log
// loss and a reliability table (calibration) by decile of the predicted risk.

/**
 * Area under the ROC curve as the Mann–Whitney statistic: the probability that a random positive is scored
 * above a random negative, ties counting one half (midranks). Null when one class is absent.
 */
export function auc(scores: readonly number[], labels: readonly number[]): number | null {
  if (scores.length !== labels.length) throw new TypeError("auc: scores and labels differ in length");
  const order = scores.map((s, i) => ({ s, y: labels[i] })).sort((a, b) => a.s - b.s);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j].s === order[i].s) j++;
    const midrank = (i + 1 + j) / 2; // ranks i+1..j share their mean
    for (let k = i; k < j; k++) if (order[k].y === 1) {
      positives++;
      rankSum += midrank;
    }
    i = j;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean squared difference between predicted probability and outcome (0 is perfect). */
export function brier(probabilities: readonly number[], labels: readonly number[]): number {
  if (probabilities.length !== labels.length || probabilities.length === 0) throw new TypeError("brier: need equal, non-empty inputs");
  return probabilities.reduce((sum, p, i) => sum + (p - labels[i]) ** 2, 0) / probabilities.length;
}

export function logLoss(probabilities: readonly number[], labels: readonly number[]): number {
  const eps = 1e-12;
  return -probabilities.reduce((sum, p, i) => sum + (labels[i] === 1 ? Math.log(Math.max(p, eps)) : Math.log(Math.max(1 - p, eps))), 0) / probabilities.length;
}

export interface ReliabilityBin {
  /** 1..bins, lowest predicted risk first. */
  bin: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
}

/**
 * Sorts by predicted risk and cuts into `bins` groups of (nearly) equal size; each compares the mean
 * prediction with the observed rate. A calibrated model has the two close in every bin.
 */
export function reliabilityTable(probabilities: readonly number[], labels: readonly number[], bins = 10): ReliabilityBin[] {
  const order = probabilities.map((p, i) => ({ p, y: labels[i] })).sort((a, b) => a.p - b.p);
  const out: ReliabilityBin[] = [];
  const n = order.length;
  for (let b = 0; b < bins; b++) {
    const slice = order.slice(Math.floor((b * n) / bins), Math.floor(((b + 1) * n) / bins));
    if (slice.length === 0) continue;
    out.push({
      bin: b + 1,
      count: slice.length,
      meanPredicted: slice.reduce((s, r) => s + r.p, 0) / slice.length,
      observedRate: slice.reduce((s, r) => s + r.y, 0) / slice.length,
    });
  }
  return out;
}
