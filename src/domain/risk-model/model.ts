// Training and scoring of a risk model: standardise the named features, split by time (older train, newer
// held out) or, with too little history, by a seeded random draw; fit; measure on the held-out rows
// against a constant baseline; explain a score by each feature's coefficient × standardised value.
import { fitLogistic, sigmoid } from "./logistic";
import { auc, brier, logLoss, reliabilityTable, type ReliabilityBin } from "./metrics";
import type { RiskTarget } from "./features";

export interface RiskExample {
  /** Encoded feature values, in the order of the model's feature names. */
  values: readonly number[];
  label: 0 | 1;
  /** When the example's features were taken: the time split orders by it. */
  at: Date;
}

export interface RiskMetrics {
  auc: number | null;
  brier: number;
  logLoss: number;
  /** Predicting the training prevalence for everyone: AUC 0.5 by construction, and its Brier score. */
  baseline: { auc: 0.5; brier: number; prevalence: number };
  holdoutPrevalence: number;
  positivesTrain: number;
  positivesHoldout: number;
  reliability: ReliabilityBin[];
  converged: boolean;
  iterations: number;
}

export interface TrainedRiskModel {
  target: RiskTarget;
  algorithm: string;
  featureNames: string[];
  means: number[];
  scales: number[];
  intercept: number;
  coefficients: number[];
  l2: number;
  split: "TIME" | "RANDOM";
  trainingSize: number;
  holdoutSize: number;
  metrics: RiskMetrics;
}

export interface TrainOptions {
  l2?: number;
  /** Share of the examples held out (the newest ones under a time split). */
  holdoutShare?: number;
  /** Seed of the random split and of nothing else. */
  seed?: number;
  /** A time split needs at least this many positives and negatives on each side; otherwise random. */
  minPerClass?: number;
}

export const ALGORITHM = "logistic-regression/irls/l2";

/** mulberry32: deterministic and small; only for splits and shuffles, never for anything secret. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates with a seeded generator: the shuffled-label control of the tests and of docs/risk-model.md. */
export function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const rnd = seededRandom(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function classCounts(rows: readonly RiskExample[]): { pos: number; neg: number } {
  const pos = rows.filter((r) => r.label === 1).length;
  return { pos, neg: rows.length - pos };
}

export function splitExamples(examples: readonly RiskExample[], opts: TrainOptions = {}): { train: RiskExample[]; holdout: RiskExample[]; split: "TIME" | "RANDOM" } {
  const share = opts.holdoutShare ?? 0.3;
  const min = opts.minPerClass ?? 10;
  const cut = Math.round(examples.length * (1 - share));
  const byTime = [...examples].sort((a, b) => a.at.getTime() - b.at.getTime());
  const train = byTime.slice(0, cut);
  const holdout = byTime.slice(cut);
  const ok = (c: { pos: number; neg: number }) => c.pos >= min && c.neg >= min;
  if (ok(classCounts(train)) && ok(classCounts(holdout))) return { train, holdout, split: "TIME" };
  const mixed = shuffled(byTime, opts.seed ?? 1);
  return { train: mixed.slice(0, cut), holdout: mixed.slice(cut), split: "RANDOM" };
}

/** Means and standard deviations of the training rows; a constant column gets scale 1 (its z is 0). */
export function standardiser(rows: readonly (readonly number[])[]): { means: number[]; scales: number[] } {
  const p = rows[0]?.length ?? 0;
  const means = new Array<number>(p).fill(0);
  const scales = new Array<number>(p).fill(0);
  for (const r of rows) for (let j = 0; j < p; j++) means[j] += r[j] / rows.length;
  for (const r of rows) for (let j = 0; j < p; j++) scales[j] += (r[j] - means[j]) ** 2 / rows.length;
  return { means, scales: scales.map((v) => (v > 1e-12 ? Math.sqrt(v) : 1)) };
}

export function standardise(values: readonly number[], means: readonly number[], scales: readonly number[]): number[] {
  return values.map((v, j) => (v - means[j]) / scales[j]);
}

export function trainRiskModel(target: RiskTarget, featureNames: readonly string[], examples: readonly RiskExample[], opts: TrainOptions = {}): TrainedRiskModel {
  const l2 = opts.l2 ?? 1;
  if (examples.some((e) => e.values.length !== featureNames.length)) throw new TypeError("trainRiskModel: an example does not match the feature names");
  const { train, holdout, split } = splitExamples(examples, opts);
  if (train.length === 0 || holdout.length === 0) throw new TypeError(`trainRiskModel: ${examples.length} examples are too few to train and validate`);
  const { means, scales } = standardiser(train.map((e) => e.values));
  const fit = fitLogistic(
    train.map((e) => standardise(e.values, means, scales)),
    train.map((e) => e.label),
    { l2 },
  );
  const model: TrainedRiskModel = {
    target,
    algorithm: ALGORITHM,
    featureNames: [...featureNames],
    means,
    scales,
    intercept: fit.intercept,
    coefficients: fit.coefficients,
    l2,
    split,
    trainingSize: train.length,
    holdoutSize: holdout.length,
    metrics: null as unknown as RiskMetrics,
  };
  const trainCounts = classCounts(train);
  const holdCounts = classCounts(holdout);
  const prevalence = trainCounts.pos / train.length;
  const labels = holdout.map((e) => e.label);
  const predicted = holdout.map((e) => scoreRisk(model, e.values).score);
  model.metrics = {
    auc: auc(predicted, labels),
    brier: brier(predicted, labels),
    logLoss: logLoss(predicted, labels),
    baseline: { auc: 0.5, brier: brier(labels.map(() => prevalence), labels), prevalence },
    holdoutPrevalence: holdCounts.pos / holdout.length,
    positivesTrain: trainCounts.pos,
    positivesHoldout: holdCounts.pos,
    reliability: reliabilityTable(predicted, labels, 10),
    converged: fit.converged,
    iterations: fit.iterations,
  };
  return model;
}

export interface RiskFactor {
  feature: string;
  value: number;
  /** coefficient × standardised value: how far this feature moves the log-odds from an average case. */
  contribution: number;
}

export interface RiskScore {
  score: number;
  /** Every feature, the largest contributions (by absolute value) first. */
  factors: RiskFactor[];
}

type ScoringModel = Pick<TrainedRiskModel, "featureNames" | "means" | "scales" | "intercept" | "coefficients">;

export function scoreRisk(model: ScoringModel, values: readonly number[]): RiskScore {
  if (values.length !== model.featureNames.length) throw new TypeError(`scoreRisk: ${values.length} values for ${model.featureNames.length} features`);
  const z = standardise(values, model.means, model.scales);
  const factors = model.featureNames.map((feature, j) => ({ feature, value: values[j], contribution: model.coefficients[j] * z[j] }));
  const logit = model.intercept + factors.reduce((s, f) => s + f.contribution, 0);
  factors.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || a.feature.localeCompare(b.feature));
  return { score: sigmoid(logit), factors };
}
