// Customers: single read, exact-match lookup lists, creation, and a customer's transactions and cases.
import type { GraphQLResolveInfo } from "graphql";
import { Arg, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { RequestContext } from "../context";
import { CUSTOMER_PII_FIELDS } from "../domain/enums";
import { CaseConnection } from "../schema/case.type";
import { toConnection } from "../schema/connection";
import { CreateCustomerInput, Customer, CustomerConnection, CustomerFilter, TransactionConnection, UpdateCustomerInput } from "../schema/customer.type";
import type { CaseService } from "../services/case.service";
import type { CustomerService } from "../services/customer.service";
import type { CustomerView } from "../store/customer.store";
import { toCase } from "./case.resolver";
import { actorOf, pick, selectedFields } from "./support";

export function toCustomer(v: CustomerView): Customer {
  const { pii, ...rest } = v;
  return {
    ...rest,
    fullName: pii.fullName ?? null,
    nationalId: pii.nationalId ?? null,
    phone: pii.phone ?? null,
    email: pii.email ?? null,
    address: pii.address ?? null,
  };
}

@Resolver(() => Customer)
export class CustomerResolver {
  constructor(
    private readonly customerService: CustomerService,
    private readonly caseService: CaseService,
  ) {}

  @Query(() => Customer)
  async customer(@Arg("id", () => ID) id: string, @Ctx() ctx: RequestContext, @Info() info: GraphQLResolveInfo) {
    return toCustomer(await this.customerService.get(actorOf(ctx), id, pick(selectedFields(info), CUSTOMER_PII_FIELDS)));
  }

  @Query(() => CustomerConnection)
  async customers(
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("filter", () => CustomerFilter, { nullable: true }) filter?: CustomerFilter,
    @Arg("first", () => Int, { nullable: true }) first?: number,
    @Arg("after", () => String, { nullable: true }) after?: string,
  ) {
    const wanted = pick(selectedFields(info, ["edges", "node"]), CUSTOMER_PII_FIELDS);
    return toConnection(await this.customerService.list(actorOf(ctx), filter ?? {}, { first, after }, wanted), toCustomer);
  }

  @Mutation(() => Customer)
  async createCustomer(@Arg("input", () => CreateCustomerInput) input: CreateCustomerInput, @Ctx() ctx: RequestContext) {
    return toCustomer(await this.customerService.create(actorOf(ctx), input));
  }

  @Mutation(() => Customer, { description: "Correct a customer's details; fields the role may not write are refused" })
  async updateCustomer(@Arg("id", () => ID) id: string, @Arg("input", () => UpdateCustomerInput) input: UpdateCustomerInput, @Ctx() ctx: RequestContext) {
    // Only keys the client actually sent: an absent field must not become "set to null".
    const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    return toCustomer(await this.customerService.update(actorOf(ctx), id, given));
  }

  @FieldResolver(() => TransactionConnection)
  async transactions(
    @Root() customer: Customer,
    @Ctx() ctx: RequestContext,
    @Arg("first", () => Int, { nullable: true }) first?: number,
    @Arg("after", () => String, { nullable: true }) after?: string,
  ) {
    return toConnection(await this.customerService.transactions(actorOf(ctx), customer.id, { first, after }), (t) => t);
  }

  @FieldResolver(() => CaseConnection)
  async cases(
    @Root() customer: Customer,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("first", () => Int, { nullable: true }) first?: number,
    @Arg("after", () => String, { nullable: true }) after?: string,
  ) {
    const wanted = pick(selectedFields(info, ["edges", "node"]), ["summary", "notes"] as const);
    return toConnection(await this.caseService.list(actorOf(ctx), { customerId: customer.id }, { first, after }, wanted), toCase);
  }
}
