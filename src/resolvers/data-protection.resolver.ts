// Data-subject rights over GraphQL: erasure, legal holds and the subject access export.
import { Arg, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import { ErasureResult, LegalHold } from "../schema/data-protection.type";
import type { DataProtectionService } from "../services/data-protection.service";
import { actorOf } from "./support";

@Resolver()
export class DataProtectionResolver {
  constructor(private readonly dataProtection: DataProtectionService) {}

  @Mutation(() => ErasureResult, { description: "Crypto-shred a customer (compliance officers). CONFLICT with extensions.rule when a rule blocks it." })
  eraseCustomer(@Arg("id", () => ID) id: string, @Arg("reason") reason: string, @Ctx() ctx: RequestContext) {
    return this.dataProtection.erase(actorOf(ctx), id, reason);
  }

  @Mutation(() => LegalHold, { description: "Place a legal hold on a customer (compliance officers); it blocks erasure" })
  placeLegalHold(@Arg("customerId", () => ID) customerId: string, @Arg("reason") reason: string, @Ctx() ctx: RequestContext) {
    return this.dataProtection.placeHold(actorOf(ctx), customerId, reason);
  }

  @Mutation(() => LegalHold, { description: "Release a legal hold (compliance officers)" })
  releaseLegalHold(@Arg("id", () => ID) id: string, @Ctx() ctx: RequestContext) {
    return this.dataProtection.releaseHold(actorOf(ctx), id);
  }

  @Query(() => String, {
    description: "Everything held about a customer and who accessed it, as a JSON document (compliance officers, purpose DATA_SUBJECT_REQUEST)",
  })
  customerDataExport(@Arg("id", () => ID) id: string, @Ctx() ctx: RequestContext) {
    return this.dataProtection.exportSubject(actorOf(ctx), id);
  }
}
