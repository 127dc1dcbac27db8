// Audit reports: the trail export for compliance and auditors, access / denied / unusual access for security.
import { Arg, Ctx, ID, Int, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import { AuditTrailFilter } from "../schema/audit.type";
import { AccessReport, AuditExportFormatEnum, AuditTrailExport, DeniedAccessReport, UnusualAccessReport } from "../schema/audit-report.type";
import type { AuditReportService } from "../services/audit-report.service";
import { actorOf } from "./support";

const event = <E extends { occurredAt: string }>(e: E) => ({ ...e, occurredAt: new Date(e.occurredAt) });

@Resolver()
export class AuditReportResolver {
  constructor(private readonly reports: AuditReportService) {}

  @Query(() => AuditTrailExport, { description: "The filtered trail as CSV or JSON lines, at most 50,000 rows" })
  auditTrailExport(
    @Ctx() ctx: RequestContext,
    @Arg("format", () => AuditExportFormatEnum) format: "CSV" | "JSONL",
    @Arg("filter", () => AuditTrailFilter, { nullable: true }) filter?: AuditTrailFilter,
    @Arg("limit", () => Int, { nullable: true, description: "Rows, 1–50,000 (default 10,000)" }) limit?: number,
  ) {
    return this.reports.trailExport(actorOf(ctx), filter ?? {}, format, limit);
  }

  @Query(() => AccessReport, { description: "Who read this customer, directly or through their cases, in [from, to)" })
  async accessReport(
    @Ctx() ctx: RequestContext,
    @Arg("customerId", () => ID) customerId: string,
    @Arg("from", () => Date) from: Date,
    @Arg("to", () => Date) to: Date,
  ) {
    const report = await this.reports.accessReport(actorOf(ctx), customerId, from, to);
    return { ...report, entries: report.entries.map((r) => ({ ...event(r.event), via: r.via, caseId: r.caseId })) };
  }

  @Query(() => DeniedAccessReport, { description: "DENIED and NOT_FOUND attempts in [from, to), counted per actor" })
  async deniedAccess(@Ctx() ctx: RequestContext, @Arg("from", () => Date) from: Date, @Arg("to", () => Date) to: Date) {
    const report = await this.reports.deniedAccess(actorOf(ctx), from, to);
    return { ...report, events: report.events.map(event) };
  }

  @Query(() => UnusualAccessReport, { description: "Unrelated customers, volume above baseline, reads outside working hours, in [from, to)" })
  unusualAccess(@Ctx() ctx: RequestContext, @Arg("from", () => Date) from: Date, @Arg("to", () => Date) to: Date) {
    return this.reports.unusualAccess(actorOf(ctx), from, to);
  }
}
