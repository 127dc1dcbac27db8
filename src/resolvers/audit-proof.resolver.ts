// Merkle proofs over the audit log, for compliance officers, auditors and security analysts.
import { SafeIntResolver } from "graphql-scalars";
import { Arg, Ctx, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import { AuditConsistencyProof, AuditInclusionProof } from "../schema/audit-proof.type";
import type { AuditProofService } from "../services/audit-proof.service";
import { actorOf } from "./support";

@Resolver()
export class AuditProofResolver {
  constructor(private readonly proofs: AuditProofService) {}

  @Query(() => AuditInclusionProof, { description: "The RFC 6962 inclusion proof of event seq in the tree of the first treeSize events" })
  auditInclusionProof(
    @Ctx() ctx: RequestContext,
    @Arg("seq", () => SafeIntResolver) seq: number,
    @Arg("treeSize", () => SafeIntResolver) treeSize: number,
  ) {
    return this.proofs.inclusionProof(actorOf(ctx), seq, treeSize);
  }

  @Query(() => AuditConsistencyProof, { description: "The RFC 6962 consistency proof that the tree of toSize events extends the tree of fromSize events" })
  auditConsistencyProof(
    @Ctx() ctx: RequestContext,
    @Arg("fromSize", () => SafeIntResolver) fromSize: number,
    @Arg("toSize", () => SafeIntResolver) toSize: number,
  ) {
    return this.proofs.consistencyProof(actorOf(ctx), fromSize, toSize);
  }
}
