// GraphQL shape of a customer: PII fields are nullable because a role may not see them.
import { Field, ID, InputType, ObjectType } from "type-graphql";
import type { BusinessLine } from "../domain/enums";
import { BusinessLineEnum } from "./enums";
import { ConnectionType } from "./connection";

@ObjectType({ description: "A customer. PII fields are null when the caller's role may not see them." })
export class Customer {
  @Field(() => ID) id: string;
  @Field({ description: "Pseudonymous customer number" }) reference: string;
  @Field(() => [BusinessLineEnum]) businessLines: BusinessLine[];
  @Field() status: string;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
  @Field(() => String, { nullable: true }) fullName: string | null;
  @Field(() => String, { nullable: true }) nationalId: string | null;
  @Field(() => String, { nullable: true }) phone: string | null;
  @Field(() => String, { nullable: true }) email: string | null;
  @Field(() => String, { nullable: true }) address: string | null;
}

@ObjectType()
export class Transaction {
  @Field(() => ID) id: string;
  @Field(() => BusinessLineEnum) businessLine: BusinessLine;
  @Field() occurredAt: Date;
  @Field() kind: string;
  @Field({ description: "Amount in minor units (cents), as a decimal string" }) amountMinor: string;
  @Field() currency: string;
  @Field() description: string;
}

export const CustomerConnection = ConnectionType(Customer, "Customer");
export const TransactionConnection = ConnectionType(Transaction, "Transaction");

@InputType()
export class CreateCustomerInput {
  @Field() fullName: string;
  @Field() nationalId: string;
  @Field(() => String, { nullable: true }) phone?: string | null;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true }) address?: string | null;
}

@InputType({ description: "Only the fields given change; null removes an optional field. Each role may set only some fields." })
export class UpdateCustomerInput {
  @Field(() => String, { nullable: true }) fullName?: string | null;
  @Field(() => String, { nullable: true }) nationalId?: string | null;
  @Field(() => String, { nullable: true }) phone?: string | null;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true }) address?: string | null;
}

@InputType({ description: "Exact-match lookup through blind indexes; all given fields must match." })
export class CustomerFilter {
  @Field(() => String, { nullable: true }) phone?: string | null;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true }) nationalId?: string | null;
}
