// GraphQL shape of a customer's relationship state after closing or reopening it (no PII).
import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { RELATIONSHIP_CLOSE_REASONS } from "../domain/enums";

export const RelationshipCloseReasonEnum = Object.fromEntries(RELATIONSHIP_CLOSE_REASONS.map((v) => [v, v])) as { [K in (typeof RELATIONSHIP_CLOSE_REASONS)[number]]: K };
registerEnumType(RelationshipCloseReasonEnum, { name: "RelationshipCloseReason", description: "Why a customer's relationship with the bank ended" });

@ObjectType()
export class CustomerRelationship {
  @Field(() => ID) customerId: string;
  @Field({ description: "ACTIVE or CLOSED" }) status: string;
  @Field(() => Date, { nullable: true, description: "When the relationship ended (churn counts this instant)" }) closedAt: Date | null;
  @Field(() => RelationshipCloseReasonEnum, { nullable: true }) reasonCode: string | null;
}
