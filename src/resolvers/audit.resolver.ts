// The audit trail and chain verification, for compliance officers and security analysts.
import { Arg, Ctx, Int, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import { AuditEventConnection, AuditTrailFilter, AuditVerification } from "../schema/audit.type";
import { toConnection } from "../schema/connection";
import type { AuditService } from "../services/audit.service";
import { actorOf } from "./support";

@Resolver()
export class AuditResolver {
  constructor(private readonly audit: AuditService) {}

  @Query(() => AuditEventConnection)
  async auditTrail(
    @Ctx() ctx: RequestContext,
    @Arg("filter", () => AuditTrailFilter, { nullable: true }) filter?: AuditTrailFilter,
    @Arg("first", () => Int, { nullable: true }) first?: number,
    @Arg("after", () => String, { nullable: true }) after?: string,
  ) {
    return toConnection(await this.audit.trail(actorOf(ctx), filter ?? {}, { first, after }), (e) => ({ ...e, occurredAt: new Date(e.occurredAt) }));
  }

  @Query(() => AuditVerification, { description: "Recompute the hash chain, check it against the signed checkpoints and name the first bad position" })
  verifyAuditChain(
    @Ctx() ctx: RequestContext,
    @Arg("sinceCheckpoint", () => Boolean, { nullable: true, description: "Start from the last checkpoint whose database and outside copies agree" }) sinceCheckpoint?: boolean,
  ) {
    return this.audit.verify(actorOf(ctx), { sinceCheckpoint: sinceCheckpoint ?? false });
  }
}
