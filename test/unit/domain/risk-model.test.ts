// The risk model's pure core: the regression recovers known coefficients, the metrics match hand
// computations (ties included), the split and the explanation behave as documented.
import { describe, expect, it } from "vitest";
import {
  auc,
  brier,
  fitLogistic,
  reliabilityTable,
  scoreRisk,
  seededRandom,
  shuffled,
  sigmoid,
  solveSpd,
  splitExamples,
  standardiser,
  trainRiskModel,
  type RiskExample,
} from "../../../src/domain/risk-model";

/** Standard normal draws (Box–Muller) from the seeded generator. */
function normals(seed: number) {
  const rnd = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

describe("fitLogistic", () => {
  it("recovers known coefficients from data drawn from the model (λ = 0, n = 20,000)", () => {
    const normal = normals(7);
    const rnd = seededRandom(8);
    const truth = { b0: -0.7, b: [1.5, -2, 0] };
    const x: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const row = [normal(), normal(), normal()];
      x.push(row);
      y.push(rnd() < sigmoid(truth.b0 + row.reduce((s, v, j) => s + v * truth.b[j], 0)) ? 1 : 0);
    }
    const fit = fitLogistic(x, y, { l2: 0 });
    expect(fit.converged).toBe(true);
    // Standard errors here are about 0.02–0.03: 0.1 is a margin of 3–5 of them.
    expect(fit.intercept).toBeCloseTo(truth.b0, 0);
    expect(Math.abs(fit.intercept - truth.b0)).toBeLessThan(0.1);
    fit.coefficients.forEach((c, j) => expect(Math.abs(c - truth.b[j])).toBeLessThan(0.1));
  });

  it("matches the closed form with one binary feature: the log odds of each group", () => {
    // x = 0: 1 positive of 4 (log odds ln(1/3)); x = 1: 3 of 4 (ln 3). Unpenalised MLE reproduces them.
    const x = [[0], [0], [0], [0], [1], [1], [1], [1]];
    const y = [1, 0, 0, 0, 1, 1, 1, 0];
    const fit = fitLogistic(x, y, { l2: 0 });
    expect(fit.intercept).toBeCloseTo(Math.log(1 / 3), 6);
    expect(fit.coefficients[0]).toBeCloseTo(Math.log(3) - Math.log(1 / 3), 6);
  });

  it("shrinks coefficients as the L2 penalty grows, never the intercept's meaning", () => {
    const x = [[0], [0], [0], [0], [1], [1], [1], [1]];
    const y = [1, 0, 0, 0, 1, 1, 1, 0];
    const sizes = [0, 1, 10, 100].map((l2) => Math.abs(fitLogistic(x, y, { l2 }).coefficients[0]));
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeLessThan(sizes[i - 1]);
    // With a huge penalty the slope is ~0 and the intercept is the overall log odds (4 of 8: 0).
    const flat = fitLogistic(x, y, { l2: 1e9 });
    expect(Math.abs(flat.coefficients[0])).toBeLessThan(1e-6);
    expect(flat.intercept).toBeCloseTo(0, 6);
  });

  it("stays finite on perfectly separable data when penalised", () => {
    const fit = fitLogistic([[-2], [-1], [1], [2]], [0, 0, 1, 1], { l2: 1 });
    expect(Number.isFinite(fit.coefficients[0])).toBe(true);
    expect(fit.coefficients[0]).toBeGreaterThan(0);
  });

  it("refuses mismatched input", () => {
    expect(() => fitLogistic([[1]], [1, 0])).toThrow(TypeError);
    expect(() => fitLogistic([], [])).toThrow(TypeError);
  });

  it("solveSpd solves a small system exactly", () => {
    // [[4,2],[2,3]] x = [2,1] → x = [0.5, 0]
    const x = solveSpd([[4, 2], [2, 3]], [2, 1]);
    expect(x[0]).toBeCloseTo(0.5, 12);
    expect(x[1]).toBeCloseTo(0, 12);
  });
});

describe("auc", () => {
  it("counts ordered pairs by hand: 3 positives × 2 negatives", () => {
    // Pairs (pos, neg): (0.9,0.1) (0.9,0.6) (0.4,0.1) (0.4,0.6✗) (0.8,0.1) (0.8,0.6) → 5 of 6.
    expect(auc([0.9, 0.4, 0.8, 0.1, 0.6], [1, 1, 1, 0, 0])).toBeCloseTo(5 / 6, 12);
  });

  it("counts a tie between a positive and a negative as one half", () => {
    // Pairs: (0.5 vs 0.5) = ½, (0.5 vs 0.2) = 1, (0.9 vs 0.5) = 1, (0.9 vs 0.2) = 1 → 3.5 / 4.
    expect(auc([0.5, 0.9, 0.5, 0.2], [1, 1, 0, 0])).toBeCloseTo(3.5 / 4, 12);
    // Every score equal: every pair a tie, AUC 0.5 (the constant baseline).
    expect(auc([0.3, 0.3, 0.3, 0.3], [1, 0, 1, 0])).toBe(0.5);
  });

  it("is 1 for a perfect ranking, 0 for a reversed one, null with one class", () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])).toBe(0);
    expect(auc([0.1, 0.2], [1, 1])).toBeNull();
  });
});

describe("brier and reliability", () => {
  it("brier by hand", () => {
    // (0.9-1)² + (0.2-0)² + (0.6-1)² + (0.5-0)² = 0.01 + 0.04 + 0.16 + 0.25 = 0.46; / 4 = 0.115
    expect(brier([0.9, 0.2, 0.6, 0.5], [1, 0, 1, 0])).toBeCloseTo(0.115, 12);
    // The constant baseline at prevalence ½: 0.25 whatever the labels.
    expect(brier([0.5, 0.5], [1, 0])).toBe(0.25);
  });

  it("reliability bins sort by prediction and compare mean prediction with the observed rate", () => {
    const table = reliabilityTable([0.1, 0.9, 0.2, 0.8], [0, 1, 1, 1], 2);
    expect(table).toEqual([
      { bin: 1, count: 2, meanPredicted: expect.closeTo(0.15, 12), observedRate: 0.5 },
      { bin: 2, count: 2, meanPredicted: expect.closeTo(0.85, 12), observedRate: 1 },
    ]);
  });
});

function examples(n: number, seed: number, signal: number): RiskExample[] {
  const normal = normals(seed);
  const rnd = seededRandom(seed + 1);
  return Array.from({ length: n }, (_, i) => {
    const a = normal();
    const b = normal();
    return { values: [a, b], label: rnd() < sigmoid(-0.5 + signal * a) ? 1 : 0, at: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000) };
  });
}

describe("training, split and explanation", () => {
  it("splits by time (newest held out) when both sides have both classes, else by a seeded draw", () => {
    const rows = examples(200, 3, 2);
    const { train, holdout, split } = splitExamples(rows, { holdoutShare: 0.25 });
    expect(split).toBe("TIME");
    expect(holdout).toHaveLength(50);
    expect(Math.min(...holdout.map((r) => r.at.getTime()))).toBeGreaterThan(Math.max(...train.map((r) => r.at.getTime())));
    // Only positives late in time: the time split would hold out no negative, so it falls back.
    const skewed = rows.map((r, i) => ({ ...r, label: (i >= 150 ? 1 : r.label) as 0 | 1 }));
    const fallback = splitExamples(skewed, { holdoutShare: 0.25, seed: 5 });
    expect(fallback.split).toBe("RANDOM");
    expect(splitExamples(skewed, { holdoutShare: 0.25, seed: 5 }).holdout).toEqual(fallback.holdout);
  });

  it("beats the constant baseline with a real signal; a shuffled-label control does not", () => {
    const rows = examples(1000, 11, 1.5);
    const real = trainRiskModel("CASE_ADVERSE", ["a", "b"], rows);
    expect(real.metrics.auc!).toBeGreaterThan(0.75);
    expect(real.metrics.brier).toBeLessThan(real.metrics.baseline.brier);
    const labels = shuffled(rows.map((r) => r.label), 99);
    const control = trainRiskModel("CASE_ADVERSE", ["a", "b"], rows.map((r, i) => ({ ...r, label: labels[i] })));
    expect(Math.abs(control.metrics.auc! - 0.5)).toBeLessThan(0.08);
  });

  it("explains a score: contributions are coefficient × standardised value, sum to the logit, largest first", () => {
    const model = { featureNames: ["x", "y", "z"], means: [1, 0, 5], scales: [2, 1, 1], intercept: -1, coefficients: [0.5, -2, 0] };
    const { score, factors } = scoreRisk(model, [5, 1, 5]);
    // z = [2, 1, 0] → contributions [1, -2, 0]; logit = -1 + 1 - 2 = -2.
    expect(factors.map((f) => [f.feature, f.contribution])).toEqual([["y", -2], ["x", 1], ["z", 0]]);
    expect(score).toBeCloseTo(sigmoid(-2), 12);
  });

  it("standardiser gives a constant column scale 1", () => {
    expect(standardiser([[1, 3], [3, 3]])).toEqual({ means: [2, 3], scales: [1, 1] });
  });
});
