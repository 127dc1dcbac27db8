// L2-regularised logistic regression fitted by IRLS (Newton's method), written here rather than taken from
// a library: the npm registry has no maintained, small, dependency-free one (docs/risk-model.md), and 60
// lines we test against known coefficients are easier to audit than a numeric toolkit.

export interface LogisticFit {
  intercept: number;
  /** One per column of X, on the scale of X (callers standardise first). */
  coefficients: number[];
  iterations: number;
  converged: boolean;
}

export interface LogisticOptions {
  /** Ridge penalty λ on the coefficients (never the intercept): minimises −loglik + λ/2·‖β‖². */
  l2?: number;
  maxIterations?: number;
  /** Stops when the largest Newton step is below this. */
  tolerance?: number;
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Solves A x = b for a symmetric positive definite A (Cholesky); A is the penalised Hessian. */
export function solveSpd(a: number[][], b: number[]): number[] {
  const n = b.length;
  const l = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i][j];
      for (let k = 0; k < j; k++) sum -= l[i][k] * l[j][k];
      if (i === j) {
        // A tiny jitter keeps a flat direction (a constant column with λ = 0) from failing outright.
        l[i][i] = Math.sqrt(Math.max(sum, 1e-12));
      } else {
        l[i][j] = sum / l[j][j];
      }
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= l[i][k] * y[k];
    y[i] = sum / l[i][i];
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < n; k++) sum -= l[k][i] * x[k];
    x[i] = sum / l[i][i];
  }
  return x;
}

/** Fits P(y = 1 | x) = σ(b0 + x·β). `y` holds 0 and 1. */
export function fitLogistic(x: readonly (readonly number[])[], y: readonly number[], opts: LogisticOptions = {}): LogisticFit {
  const l2 = opts.l2 ?? 1;
  const maxIterations = opts.maxIterations ?? 50;
  const tolerance = opts.tolerance ?? 1e-8;
  if (x.length !== y.length) throw new TypeError(`fitLogistic: ${x.length} rows but ${y.length} labels`);
  if (x.length === 0) throw new TypeError("fitLogistic: no rows");
  if (l2 < 0) throw new TypeError("fitLogistic: l2 must be >= 0");
  const p = x[0].length;
  const dim = p + 1; // column 0 is the intercept
  let w = new Array<number>(dim).fill(0);
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const grad = new Array<number>(dim).fill(0);
    const hess = Array.from({ length: dim }, () => new Array<number>(dim).fill(0));
    for (let r = 0; r < x.length; r++) {
      const row = x[r];
      let z = w[0];
      for (let j = 0; j < p; j++) z += w[j + 1] * row[j];
      const mu = sigmoid(z);
      const resid = y[r] - mu;
      const weight = Math.max(mu * (1 - mu), 1e-10);
      for (let i = 0; i < dim; i++) {
        const xi = i === 0 ? 1 : row[i - 1];
        grad[i] += resid * xi;
        for (let j = 0; j <= i; j++) hess[i][j] += weight * xi * (j === 0 ? 1 : row[j - 1]);
      }
    }
    for (let i = 0; i < dim; i++) {
      for (let j = 0; j < i; j++) hess[j][i] = hess[i][j];
      if (i > 0) {
        grad[i] -= l2 * w[i];
        hess[i][i] += l2;
      }
    }
    const step = solveSpd(hess, grad);
    w = w.map((v, i) => v + step[i]);
    if (Math.max(...step.map(Math.abs)) < tolerance) return { intercept: w[0], coefficients: w.slice(1), iterations: iteration, converged: true };
  }
  return { intercept: w[0], coefficients: w.slice(1), iterations: maxIterations, converged: false };
}
