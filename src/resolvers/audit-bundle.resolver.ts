// Signed export bundles for compliance officers and auditors: arguments in, one service call, summary out.
import { Arg, Ctx, ID, Mutation, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import { AuditBundleExport } from "../schema/audit-bundle.type";
import type { AuditBundleService } from "../services/audit-bundle.service";
import { actorOf } from "./support";

@Resolver()
export class AuditBundleResolver {
  constructor(private readonly bundles: AuditBundleService) {}

  @Mutation(() => AuditBundleExport, {
    description: "The events of [from, to) (or of one customer), their checkpoints and proofs, with a signed manifest; audited",
  })
  async exportAuditBundle(
    @Ctx() ctx: RequestContext,
    @Arg("from", () => Date) from: Date,
    @Arg("to", () => Date) to: Date,
    @Arg("customerId", () => ID, { nullable: true }) customerId?: string | null,
  ): Promise<AuditBundleExport> {
    const b = await this.bundles.exportToString(actorOf(ctx), { from, to, customerId: customerId ?? null });
    return {
      content: b.content,
      eventCount: b.manifest.counts.events,
      redactedCount: b.manifest.counts.redacted,
      checkpointCount: b.manifest.counts.checkpoints,
      consistencyProofCount: b.manifest.counts.consistencyProofs,
      firstSeq: b.range.firstSeq,
      lastSeq: b.range.lastSeq,
      anchorTreeSize: b.anchorSeq,
      kid: b.manifest.kid,
    };
  }
}
