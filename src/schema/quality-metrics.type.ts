// GraphQL shape of service quality: per cut value, each metric with its counts, value, target and status;
// and the alerts raised for breaches.
import { Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { QUALITY_METRICS } from "../domain/quality-metrics";
import { QUALITY_CUTS } from "../store/quality-metrics.store";

const enumObject = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
export const QualityMetricEnum = enumObject(QUALITY_METRICS);
export const QualityCutEnum = enumObject(QUALITY_CUTS);
export const TargetStatusEnum = enumObject(["MET", "AT_RISK", "BREACHED"] as const);
export const TargetKindEnum = enumObject(["AT_LEAST", "BELOW"] as const);
registerEnumType(QualityMetricEnum, { name: "QualityMetric" });
registerEnumType(QualityCutEnum, { name: "QualityCut", description: "NONE: the whole (visible) bank; AGENT groups by assignee (UNASSIGNED for none)" });
registerEnumType(TargetStatusEnum, { name: "TargetStatus" });
registerEnumType(TargetKindEnum, { name: "TargetKind", description: "AT_LEAST: value >= target; BELOW: value < target" });

@ObjectType()
export class QualityMetricValue {
  @Field(() => QualityMetricEnum) metric: string;
  @Field(() => Int) numerator: number;
  @Field(() => Int, { description: "0: nothing measured; value and status are then null" }) denominator: number;
  @Field(() => Float, { nullable: true }) value: number | null;
  @Field(() => Float) target: number;
  @Field(() => TargetKindEnum) targetKind: string;
  @Field(() => TargetStatusEnum, { nullable: true }) status: string | null;
}

/** One field per metric (not a list): a bounded shape, so the query-cost rule does not price it as a page. */
@ObjectType()
export class QualityMetricSet {
  @Field(() => QualityMetricValue) firstResponseOnTime: QualityMetricValue;
  @Field(() => QualityMetricValue) resolutionOnTime: QualityMetricValue;
  @Field(() => QualityMetricValue) regulatoryDeadlineCompliance: QualityMetricValue;
  @Field(() => QualityMetricValue) satisfactionRate: QualityMetricValue;
  @Field(() => QualityMetricValue) reopenRate: QualityMetricValue;
  @Field(() => QualityMetricValue) repeatComplaintRate: QualityMetricValue;
  @Field(() => QualityMetricValue, { description: "Whole bank and per business line only; null-valued for other cuts" }) churnRate: QualityMetricValue;
}

@ObjectType()
export class ServiceQualityGroup {
  @Field({ description: "The cut's value (a business line, channel, category, team id or agent id); empty for NONE" }) cutValue: string;
  @Field(() => Int, { description: "Cases received in the period" }) volume: number;
  @Field(() => Int, { description: "Complaints received in the period" }) complaints: number;
  @Field(() => Int, { description: "Surveys recorded in the period" }) surveys: number;
  @Field(() => Float, { nullable: true, description: "Mean survey score (1-5) of those surveys" }) averageScore: number | null;
  @Field(() => QualityMetricSet) metrics: QualityMetricSet;
}

@ObjectType()
export class ServiceQualityReport {
  @Field() from: Date;
  @Field() to: Date;
  @Field() timeZone: string;
  @Field(() => QualityCutEnum) cut: string;
  @Field({ description: "The instant decided-or-not was judged at (on-time rates, reopens)" }) evaluatedAt: Date;
  @Field(() => Int, { description: "Alerts this request raised (compliance only; a breach already raised is not raised again)" }) alertsRaised: number;
  @Field(() => [ServiceQualityGroup]) groups: ServiceQualityGroup[];
}

@ObjectType()
export class QualityAlert {
  @Field(() => ID) id: string;
  @Field(() => QualityMetricEnum) metric: string;
  @Field() periodFrom: Date;
  @Field() periodTo: Date;
  @Field(() => QualityCutEnum) cutKind: string;
  @Field() cutValue: string;
  @Field(() => Int) numerator: number;
  @Field(() => Int) denominator: number;
  @Field(() => Float) value: number;
  @Field(() => Float) target: number;
  @Field(() => TargetStatusEnum) status: string;
  @Field() raisedAt: Date;
  @Field(() => ID, { nullable: true }) acknowledgedBy: string | null;
  @Field(() => Date, { nullable: true }) acknowledgedAt: Date | null;
}
