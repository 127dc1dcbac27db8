// GraphQL shapes of risk scores and of the stored model versions (docs/risk-model.md).
import { Field, Float, ID, Int, ObjectType } from "type-graphql";
import type { BusinessLine } from "../domain/enums";
import { BusinessLineEnum } from "./enums";

@ObjectType({ description: "One named feature's part in a score: coefficient × standardised value, in log-odds" })
export class RiskFactor {
  @Field() feature: string;
  @Field(() => Float, { description: "The feature's raw value for this case or customer" }) value: number;
  @Field(() => Float, { description: "Positive raises the risk above an average case's, negative lowers it" }) contribution: number;
}

@ObjectType()
export class CaseRiskScore {
  @Field(() => ID) caseId: string;
  @Field() reference: string;
  @Field(() => BusinessLineEnum) businessLine: BusinessLine;
  @Field() status: string;
  @Field(() => Float, { description: "Probability of a clock breach or an escalation (0–1)" }) score: number;
  @Field(() => Int) modelVersion: number;
  @Field(() => [RiskFactor], { description: "The largest contributions, by absolute value" }) factors: RiskFactor[];
}

@ObjectType()
export class CustomerRiskScore {
  @Field(() => ID) customerId: string;
  @Field(() => Float, { description: "Probability that the relationship closes (churn, 0–1)" }) score: number;
  @Field(() => Int) modelVersion: number;
  @Field(() => [RiskFactor]) factors: RiskFactor[];
}

@ObjectType()
export class RiskReliabilityBin {
  @Field(() => Int) bin: number;
  @Field(() => Int) count: number;
  @Field(() => Float) meanPredicted: number;
  @Field(() => Float) observedRate: number;
}

@ObjectType({ description: "A stored, append-only model version and its validation on held-out history" })
export class RiskModelVersion {
  @Field() target: string;
  @Field(() => Int) version: number;
  @Field() algorithm: string;
  @Field() labelDefinition: string;
  @Field(() => [String]) featureNames: string[];
  @Field(() => [Float]) coefficients: number[];
  @Field(() => [Float]) featureMeans: number[];
  @Field(() => [Float]) featureScales: number[];
  @Field(() => Float) intercept: number;
  @Field(() => Float) l2: number;
  @Field({ description: "TIME (older trained, newer held out) or RANDOM (seeded, when history is too short)" }) split: string;
  @Field(() => Int) trainingSize: number;
  @Field(() => Int) holdoutSize: number;
  @Field(() => Float, { nullable: true, description: "Held-out AUC; the constant baseline's is 0.5" }) auc: number | null;
  @Field(() => Float) brier: number;
  @Field(() => Float) baselineBrier: number;
  @Field(() => Float) trainingPrevalence: number;
  @Field(() => Float) holdoutPrevalence: number;
  @Field(() => [RiskReliabilityBin]) reliability: RiskReliabilityBin[];
  @Field() trainedAt: Date;
}
