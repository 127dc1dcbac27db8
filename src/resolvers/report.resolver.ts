// Regulators' reports for compliance (and auditors, for the aggregate ones): arguments in, one service
// call, the signed file out.
import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import { RegulatoryReport, RegulatoryReportFormatEnum, RegulatoryReportKindEnum } from "../schema/report.type";
import type { RegulatoryReportService } from "../services/report.service";
import { actorOf } from "./support";

@Resolver()
export class RegulatoryReportResolver {
  constructor(private readonly reports: RegulatoryReportService) {}

  @Mutation(() => RegulatoryReport, { description: "A signed regulators' report of [from, to); seals an audit checkpoint if needed; audited" })
  async generateRegulatoryReport(
    @Ctx() ctx: RequestContext,
    @Arg("kind", () => RegulatoryReportKindEnum) kind: RegulatoryReportKindEnum,
    @Arg("from", () => Date) from: Date,
    @Arg("to", () => Date) to: Date,
    @Arg("format", () => RegulatoryReportFormatEnum) format: RegulatoryReportFormatEnum,
  ): Promise<RegulatoryReport> {
    const r = await this.reports.generate(actorOf(ctx), { kind, from, to, format });
    return {
      fileName: r.fileName,
      mediaType: r.mediaType,
      contentBase64: r.content.toString("base64"),
      size: r.content.length,
      sha256: r.sha256,
      signature: r.signature,
      checkpointSeq: r.checkpointSeq,
      rootHash: r.rootHash,
      kid: r.kid,
      generatedAt: r.generatedAt,
    };
  }
}
