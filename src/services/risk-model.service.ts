// Risk models: training from the database's own history (`custos risk train`) and the scores served to
// staff, each score audited with the model version that produced it (docs/risk-model.md).
import type { BusinessLine } from "../domain/enums";
import {
  caseExamples,
  customerExamples,
  encodeCase,
  encodeCustomer,
  FEATURES,
  LABEL_DEFINITIONS,
  scoreRisk,
  trainRiskModel,
  type RiskFactor,
  type RiskTarget,
  type TrainOptions,
} from "../domain/risk-model";
import { badInput, conflict, forbidden, notFound } from "../errors";
import type { AuditActor, AuditedStore, UnitOfWork } from "../store/audited-store";
import { insertRiskModel, latestRiskModel, listRiskModels, loadCaseHistory, loadCustomerHistory, loadCustomerRow, loadOpenCaseRows, type StoredRiskModel } from "../store/risk-model.store";
import { isUuid, requireActor } from "../store/store-support";

/** How many factors a score carries: the largest contributions, by absolute value. */
export const TOP_FACTORS = 3;
const MAX_CASE_SCORES = 500;
const MIN_EXAMPLES = 40;

export interface CaseRiskScoreView {
  caseId: string;
  reference: string;
  customerId: string;
  businessLine: BusinessLine;
  status: string;
  score: number;
  modelVersion: number;
  factors: RiskFactor[];
}

export interface CustomerRiskScoreView {
  customerId: string;
  score: number;
  modelVersion: number;
  factors: RiskFactor[];
}

export interface TrainedModels {
  caseModel: StoredRiskModel;
  customerModel: StoredRiskModel;
}

export class RiskModelService {
  constructor(private readonly store: AuditedStore) {}

  /** Trains both models on the current history and appends a new version of each (one audited write). */
  train(actor: AuditActor, opts: TrainOptions = {}): Promise<TrainedModels> {
    return this.store.run(actor, { action: "risk.train", resourceType: "risk_model" }, async (uow) => {
      if (uow.actor.principal !== null) throw forbidden("risk models are trained from the command line");
      const caseModel = await this.trainOne(uow, "CASE_ADVERSE", caseExamples(await loadCaseHistory(uow)), opts);
      const customerModel = await this.trainOne(uow, "CUSTOMER_CHURN", customerExamples(await loadCustomerHistory(uow)), opts);
      return { caseModel, customerModel };
    });
  }

  private async trainOne(uow: UnitOfWork, target: RiskTarget, examples: ReturnType<typeof caseExamples>, opts: TrainOptions): Promise<StoredRiskModel> {
    const positives = examples.filter((e) => e.label === 1).length;
    // Too little history to train and validate is the operator's problem to see, not an internal error.
    if (examples.length < MIN_EXAMPLES || positives < 5 || examples.length - positives < 5) {
      throw conflict(`not enough history to train ${target}: ${examples.length} examples, ${positives} positive (need ${MIN_EXAMPLES}, and 5 of each class)`);
    }
    const trained = trainRiskModel(target, FEATURES[target], examples, { seed: 20261128, ...opts });
    const stored = await insertRiskModel(uow, trained, LABEL_DEFINITIONS[target], uow.now);
    uow.record({
      action: "risk.train",
      resourceType: "risk_model",
      resourceId: `${target}:${stored.version}`,
      outcome: "SUCCESS",
      details: { target, modelVersion: stored.version, trainingSize: stored.trainingSize, holdoutSize: stored.holdoutSize, auc: stored.metrics.auc, brier: stored.metrics.brier, split: stored.split },
    });
    return stored;
  }

  /** Open cases the caller may score, highest risk first (at most `first`). */
  caseRiskScores(actor: AuditActor, businessLine: BusinessLine | null, first = 50): Promise<CaseRiskScoreView[]> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_CASE_SCORES) throw badInput(`first must be between 1 and ${MAX_CASE_SCORES}`, "first");
    return this.store.run(actor, null, async (uow) => {
      const { ability } = requireActor(uow);
      if (!ability.can("score", "Case")) {
        uow.recordAttempt({ action: "risk.score", resourceType: "case", resourceId: null, outcome: "DENIED" });
        throw forbidden();
      }
      const model = await requireModel(uow, "CASE_ADVERSE");
      const rows = await loadOpenCaseRows(uow, ability, businessLine);
      const scored = rows
        .map((r) => ({ row: r, result: scoreRisk(model, encodeCase(r.raw)) }))
        .sort((a, b) => b.result.score - a.result.score || a.row.id.localeCompare(b.row.id))
        .slice(0, first);
      for (const { row, result } of scored) {
        uow.record({ action: "risk.score", resourceType: "case", resourceId: row.id, outcome: "SUCCESS", details: { target: model.target, modelVersion: model.version, score: round(result.score) } });
      }
      if (scored.length === 0) {
        uow.record({ action: "risk.score", resourceType: "case", resourceId: null, outcome: "SUCCESS", details: { target: model.target, modelVersion: model.version, scored: 0 } });
      }
      return scored.map(({ row, result }) => ({
        caseId: row.id,
        reference: row.reference,
        customerId: row.customerId,
        businessLine: row.businessLine,
        status: row.status,
        score: result.score,
        modelVersion: model.version,
        factors: result.factors.slice(0, TOP_FACTORS),
      }));
    });
  }

  customerRiskScore(actor: AuditActor, customerId: string): Promise<CustomerRiskScoreView> {
    return this.store.run(actor, null, async (uow) => {
      const { ability } = requireActor(uow);
      if (!ability.can("score", "Customer")) {
        uow.recordAttempt({ action: "risk.score", resourceType: "customer", resourceId: isUuid(customerId) ? customerId : null, outcome: "DENIED" });
        throw forbidden();
      }
      if (!isUuid(customerId)) throw notFound("Customer");
      const model = await requireModel(uow, "CUSTOMER_CHURN");
      const { row, exists } = await loadCustomerRow(uow, ability, customerId);
      if (!exists) {
        uow.recordAttempt({ action: "risk.score", resourceType: "customer", resourceId: customerId, outcome: "NOT_FOUND" });
        throw notFound("Customer");
      }
      if (!row) {
        uow.recordAttempt({ action: "risk.score", resourceType: "customer", resourceId: customerId, outcome: "DENIED" });
        throw forbidden();
      }
      const result = scoreRisk(model, encodeCustomer(row.raw));
      uow.record({ action: "risk.score", resourceType: "customer", resourceId: customerId, outcome: "SUCCESS", details: { target: model.target, modelVersion: model.version, score: round(result.score) } });
      return { customerId, score: result.score, modelVersion: model.version, factors: result.factors.slice(0, TOP_FACTORS) };
    });
  }

  /** The stored versions (newest first per target) with their validation figures. */
  models(actor: AuditActor, target: RiskTarget | null): Promise<StoredRiskModel[]> {
    return this.store.run(actor, null, async (uow) => {
      const { ability } = requireActor(uow);
      if (!ability.can("read", "RiskModel")) {
        uow.recordAttempt({ action: "risk.model.read", resourceType: "risk_model", resourceId: null, outcome: "DENIED" });
        throw forbidden();
      }
      const models = await listRiskModels(uow, target);
      uow.record({ action: "risk.model.read", resourceType: "risk_model", resourceId: null, outcome: "SUCCESS", details: { target, versions: models.length } });
      return models;
    });
  }
}

async function requireModel(uow: UnitOfWork, target: RiskTarget): Promise<StoredRiskModel> {
  const model = await latestRiskModel(uow, target);
  // Nothing to score with until `custos risk train` has run (docs/risk-model.md).
  if (!model) throw notFound(`A trained ${target} risk model`);
  return model;
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
