// Risk scores of open cases and customers, and the stored model versions (docs/risk-model.md).
import { Arg, Ctx, ID, Int, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import type { BusinessLine } from "../domain/enums";
import { CaseRiskScore, CustomerRiskScore, RiskModelVersion } from "../schema/risk-score.type";
import { BusinessLineEnum } from "../schema/enums";
import type { RiskModelService } from "../services/risk-model.service";
import type { StoredRiskModel } from "../store/risk-model.store";
import { badInput } from "../errors";
import { actorOf } from "./support";

const TARGETS = ["CASE_ADVERSE", "CUSTOMER_CHURN"] as const;

@Resolver()
export class RiskScoreResolver {
  constructor(private readonly risk: RiskModelService) {}

  @Query(() => [CaseRiskScore], { description: "Open cases' risk of a clock breach or escalation, highest first: agents their own cases, team leads their line, compliance all" })
  caseRiskScores(
    @Ctx() ctx: RequestContext,
    @Arg("businessLine", () => BusinessLineEnum, { nullable: true }) businessLine?: BusinessLine | null,
    @Arg("first", () => Int, { nullable: true, defaultValue: 50 }) first?: number,
  ): Promise<CaseRiskScore[]> {
    return this.risk.caseRiskScores(actorOf(ctx), businessLine ?? null, first ?? 50);
  }

  @Query(() => CustomerRiskScore, { description: "A customer's risk of closing the relationship: team leads their line, compliance all" })
  customerRiskScore(@Ctx() ctx: RequestContext, @Arg("customerId", () => ID) customerId: string): Promise<CustomerRiskScore> {
    return this.risk.customerRiskScore(actorOf(ctx), customerId);
  }

  @Query(() => [RiskModelVersion], { description: "Stored risk model versions with their validation figures: team leads, compliance, auditors" })
  async riskModels(@Ctx() ctx: RequestContext, @Arg("target", () => String, { nullable: true }) target?: string | null): Promise<RiskModelVersion[]> {
    if (target != null && !(TARGETS as readonly string[]).includes(target)) throw badInput(`target must be one of ${TARGETS.join(", ")}`, "target");
    return (await this.risk.models(actorOf(ctx), (target ?? null) as (typeof TARGETS)[number] | null)).map(toVersion);
  }
}

function toVersion(m: StoredRiskModel): RiskModelVersion {
  return {
    target: m.target,
    version: m.version,
    algorithm: m.algorithm,
    labelDefinition: m.labelDefinition,
    featureNames: m.featureNames,
    coefficients: m.coefficients,
    featureMeans: m.means,
    featureScales: m.scales,
    intercept: m.intercept,
    l2: m.l2,
    split: m.split,
    trainingSize: m.trainingSize,
    holdoutSize: m.holdoutSize,
    auc: m.metrics.auc,
    brier: m.metrics.brier,
    baselineBrier: m.metrics.baseline.brier,
    trainingPrevalence: m.metrics.baseline.prevalence,
    holdoutPrevalence: m.metrics.holdoutPrevalence,
    reliability: m.metrics.reliability,
    trainedAt: m.trainedAt,
  };
}
