// `custos risk train`: trains both risk models on the database's history and prints their validation.
import { parseArgs } from "node:util";
import type { RiskMetrics } from "../domain/risk-model";
import type { AuditActor } from "../store/audited-store";
import type { StoredRiskModel } from "../store/risk-model.store";
import type { Services } from "./index";

const f = (x: number | null) => (x === null ? "n/a" : x.toFixed(3));

function describeModel(m: StoredRiskModel): string {
  const x: RiskMetrics = m.metrics;
  const lines = [
    `${m.target} v${m.version}: ${m.trainingSize} training / ${m.holdoutSize} held-out examples (${m.split} split), prevalence ${f(x.baseline.prevalence)} → ${f(x.holdoutPrevalence)}`,
    `  held-out AUC ${f(x.auc)} (constant baseline 0.500), Brier ${f(x.brier)} (baseline ${f(x.baseline.brier)}), log loss ${f(x.logLoss)}${x.converged ? "" : " [did not converge]"}`,
    `  reliability by decile (mean predicted / observed): ${x.reliability.map((b) => `${f(b.meanPredicted)}/${f(b.observedRate)}`).join(" ")}`,
    `  coefficients (per standard deviation): ${m.featureNames.map((n, i) => `${n} ${m.coefficients[i] >= 0 ? "+" : ""}${m.coefficients[i].toFixed(2)}`).join(", ")}`,
  ];
  return lines.join("\n");
}

export async function riskTrainCommand(services: Services, argv: string[], actor: AuditActor): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { l2: { type: "string" } }, strict: true });
  const l2 = values.l2 === undefined ? undefined : Number(values.l2);
  if (l2 !== undefined && !(Number.isFinite(l2) && l2 >= 0)) throw Object.assign(new Error("--l2 must be a number >= 0"), { code: "ERR_PARSE_ARGS_UNKNOWN_OPTION" });
  const { caseModel, customerModel } = await services.riskModels.train(actor, { l2 });
  process.stdout.write(`${describeModel(caseModel)}\n${describeModel(customerModel)}\n`);
  return 0;
}
