// GraphQL shape of the customer 360 view: profile, transactions, cases with clocks, surveys, risk flags.
import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { RISK_FLAGS, type RiskFlagCode } from "../store/customer-360-flags";
import { Case } from "./case.type";
import type { ConnectionShape } from "./connection";
import { Customer, Transaction, TransactionConnection } from "./customer.type";

export const RiskFlagCodeEnum = Object.fromEntries(Object.keys(RISK_FLAGS).map((k) => [k, k])) as { [K in RiskFlagCode]: K };
registerEnumType(RiskFlagCodeEnum, {
  name: "CustomerRiskFlagCode",
  valuesConfig: Object.fromEntries(Object.entries(RISK_FLAGS).map(([k, description]) => [k, { description }])) as never,
});

@ObjectType()
export class CustomerRiskFlag {
  @Field(() => RiskFlagCodeEnum) code: RiskFlagCode;
  @Field() description: string;
  @Field(() => [ID], { description: "The cases that raised it" }) caseIds: string[];
}

@ObjectType({ description: "A survey answer of one of the customer's cases; comment is narrative (null or masked by role)" })
export class CustomerSurveyAnswer {
  @Field(() => ID) caseId: string;
  @Field() caseReference: string;
  @Field(() => Int) score: number;
  @Field(() => String, { nullable: true }) comment: string | null;
  @Field() recordedAt: Date;
}

@ObjectType({ description: "Everything an agent needs about a customer, as their role allows; every part is an audited read" })
export class Customer360 {
  @Field(() => Customer) profile: Customer;
  @Field(() => TransactionConnection, { nullable: true, description: "First page, newest first; null when the role does not see transactions" })
  transactions: ConnectionShape<Transaction> | null;
  @Field(() => [Case], { description: "The customer's cases the caller may see, newest first (at most 100), each with its clocks" }) cases: Case[];
  @Field(() => Int) casesTotal: number;
  @Field(() => [CustomerSurveyAnswer]) surveys: CustomerSurveyAnswer[];
  @Field(() => [CustomerRiskFlag], { description: "Computed from the cases the caller may see" }) riskFlags: CustomerRiskFlag[];
}
