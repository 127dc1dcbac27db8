// Service quality: the metrics for a period and cut, and the alerts compliance acknowledges.
import { Arg, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import { QualityAlert, QualityCutEnum, ServiceQualityReport } from "../schema/quality-metrics.type";
import type { QualityMetricsService } from "../services/quality-metrics.service";
import type { QualityCut } from "../store/quality-metrics.store";
import { actorOf } from "./support";

@Resolver()
export class QualityMetricsResolver {
  constructor(private readonly quality: QualityMetricsService) {}

  @Query(() => ServiceQualityReport, {
    description: "Service-quality metrics for [from, to) by cut. from/to: YYYY-MM-DD (local midnight in timeZone, default UTC) or an ISO instant with offset. Team leads: their line only",
  })
  serviceQuality(
    @Ctx() ctx: RequestContext,
    @Arg("from") from: string,
    @Arg("to") to: string,
    @Arg("cut", () => QualityCutEnum, { defaultValue: "NONE" }) cut: QualityCut,
    @Arg("timeZone", () => String, { nullable: true }) timeZone?: string | null,
  ) {
    return this.quality.serviceQuality(actorOf(ctx), { from, to, cut, timeZone });
  }

  @Query(() => [QualityAlert], { description: "Alerts raised for breached targets, newest first (500 at most)" })
  qualityAlerts(@Ctx() ctx: RequestContext, @Arg("acknowledged", () => Boolean, { nullable: true }) acknowledged?: boolean | null) {
    return this.quality.alerts(actorOf(ctx), acknowledged ?? null);
  }

  @Mutation(() => QualityAlert)
  acknowledgeQualityAlert(@Ctx() ctx: RequestContext, @Arg("id", () => ID) id: string) {
    return this.quality.acknowledge(actorOf(ctx), id);
  }
}
