// Closing a customer's relationship with the bank (team leads of the customer's line, the core-banking
// feed with scope customers:close), and reopening one closed in error.
import { Arg, Ctx, ID, Mutation, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import type { RelationshipCloseReason } from "../domain/enums";
import { CustomerRelationship, RelationshipCloseReasonEnum } from "../schema/customer-relationship.type";
import type { CustomerRelationshipService } from "../services/customer-relationship.service";
import { actorOf } from "./support";

@Resolver()
export class CustomerRelationshipResolver {
  constructor(private readonly relationships: CustomerRelationshipService) {}

  @Mutation(() => CustomerRelationship, { description: "Close the customer's relationship at closedAt (ISO instant with offset, not in the future)" })
  closeCustomerRelationship(
    @Ctx() ctx: RequestContext,
    @Arg("customerId", () => ID) customerId: string,
    @Arg("closedAt") closedAt: string,
    @Arg("reasonCode", () => RelationshipCloseReasonEnum) reasonCode: RelationshipCloseReason,
  ) {
    return this.relationships.close(actorOf(ctx), customerId, closedAt, reasonCode);
  }

  @Mutation(() => CustomerRelationship, { description: "Reopen a relationship closed in error (ACTIVE again; churn no longer counts it)" })
  reopenCustomerRelationship(@Ctx() ctx: RequestContext, @Arg("customerId", () => ID) customerId: string) {
    return this.relationships.reopen(actorOf(ctx), customerId);
  }
}
