// The customer 360 view: one query, thin.
import type { GraphQLResolveInfo } from "graphql";
import { Arg, Ctx, ID, Info, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import { CUSTOMER_PII_FIELDS } from "../domain/enums";
import { Customer360 } from "../schema/customer-360.type";
import type { Transaction } from "../schema/customer.type";
import { toConnection } from "../schema/connection";
import type { Customer360Service } from "../services/customer-360.service";
import type { CaseTextField } from "../store/case.store";
import { toCase } from "./case.resolver";
import { toCustomer } from "./customer.resolver";
import { actorOf, pick, selectedFields } from "./support";

const CASE_TEXT: readonly CaseTextField[] = ["summary", "notes", "resolution", "survey"];

@Resolver()
export class Customer360Resolver {
  constructor(private readonly view: Customer360Service) {}

  @Query(() => Customer360, { description: "Agents, team leads, compliance (security: without content): a customer's profile, transactions, cases with clocks, surveys and risk flags" })
  async customer360(@Arg("customerId", () => ID) customerId: string, @Ctx() ctx: RequestContext, @Info() info: GraphQLResolveInfo): Promise<Customer360> {
    const wantedPii = pick(selectedFields(info, ["profile"]), CUSTOMER_PII_FIELDS);
    const caseText = pick(selectedFields(info, ["cases"]), CASE_TEXT);
    // Survey answers come from the cases' surveys (their comments at the reader's level for narrative).
    const wanted = selectedFields(info).has("surveys") && !caseText.includes("survey") ? [...caseText, "survey" as const] : caseText;
    const v = await this.view.get(actorOf(ctx), customerId, wantedPii, wanted);
    return {
      profile: toCustomer(v.profile),
      transactions: v.transactions ? toConnection(v.transactions, (t) => t as Transaction) : null,
      cases: v.cases.map(toCase),
      casesTotal: v.casesTotal,
      surveys: v.cases.flatMap((c) => (c.survey ? [{ caseId: c.id, caseReference: c.reference, ...c.survey }] : [])),
      riskFlags: v.riskFlags,
    };
  }
}
