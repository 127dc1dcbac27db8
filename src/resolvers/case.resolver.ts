// Cases: read, list, intake (every channel, idempotent), notes, resolution, and the case's customer.
import type { GraphQLResolveInfo } from "graphql";
import { Arg, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { RequestContext } from "../context";
import { CUSTOMER_PII_FIELDS } from "../domain/enums";
import { Case, CaseClock, CaseConnection, CaseFilter, CaseNote, OpenCaseInput } from "../schema/case.type";
import type { ClockState } from "../domain/service-clocks";
import type { CaseClockService } from "../services/case-clock.service";
import { CaseResolutionInput } from "../schema/case-handling.type";
import { toConnection } from "../schema/connection";
import { Customer } from "../schema/customer.type";
import type { CaseService } from "../services/case.service";
import type { CustomerService } from "../services/customer.service";
import type { CaseView } from "../store/case.store";
import { toCustomer } from "./customer.resolver";
import { actorOf, pick, selectedFields } from "./support";

const CASE_TEXT = ["summary", "notes", "resolution", "survey"] as const;

/** A case view out; clocks loaded with it (`clocks`) are kept so the clocks field needs no second read. */
export function toCase(v: CaseView & { clocks?: readonly ClockState[] }): Case {
  const { clocks, ...rest } = v;
  return { ...rest, summary: v.summary ?? null, notes: v.notes ?? null, resolution: v.resolution ?? null, survey: v.survey ?? null, preloadedClocks: clocks?.map(toCaseClock) };
}

export function toCaseClock(s: ClockState): CaseClock {
  return {
    kind: s.clockKind,
    state: s.state,
    basis: s.basis,
    startedAt: s.startedAt,
    dueAt: s.breachAt,
    warnAt: s.warnAt,
    durationMs: s.durationMs,
    elapsedMs: s.elapsedMs,
    pausedMs: s.pausedMs,
    pausedSince: s.pausedSince,
    pauseReason: s.pauseReason,
    stoppedAt: s.stoppedAt,
    extensions: s.extensions.length,
  };
}

@Resolver(() => Case)
export class CaseResolver {
  constructor(
    private readonly caseService: CaseService,
    private readonly customerService: CustomerService,
    private readonly clockService: CaseClockService,
  ) {}

  @Query(() => Case)
  async case(@Arg("id", () => ID) id: string, @Ctx() ctx: RequestContext, @Info() info: GraphQLResolveInfo) {
    return toCase(await this.caseService.get(actorOf(ctx), id, pick(selectedFields(info), CASE_TEXT)));
  }

  @Query(() => CaseConnection)
  async cases(
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("filter", () => CaseFilter, { nullable: true }) filter?: CaseFilter,
    @Arg("first", () => Int, { nullable: true }) first?: number,
    @Arg("after", () => String, { nullable: true }) after?: string,
  ) {
    const wanted = pick(selectedFields(info, ["edges", "node"]), CASE_TEXT);
    return toConnection(await this.caseService.list(actorOf(ctx), filter ?? {}, { first, after }, wanted), toCase);
  }

  @Mutation(() => Case, { description: "Record a request or complaint; it is assigned at once and its clocks start" })
  async openCase(@Arg("input", () => OpenCaseInput) input: OpenCaseInput, @Ctx() ctx: RequestContext) {
    return toCase(await this.caseService.open(actorOf(ctx), input));
  }

  @Mutation(() => CaseNote)
  addCaseNote(@Arg("caseId", () => ID) caseId: string, @Arg("body") body: string, @Ctx() ctx: RequestContext) {
    return this.caseService.addNote(actorOf(ctx), caseId, body);
  }

  @Mutation(() => Case, { description: "ASSIGNED, IN_PROGRESS or ESCALATED → RESOLVED; details may follow with recordCaseResolution" })
  async resolveCase(
    @Arg("caseId", () => ID) caseId: string,
    @Arg("resolution") resolution: string,
    @Ctx() ctx: RequestContext,
    @Arg("details", () => CaseResolutionInput, { nullable: true }) details?: CaseResolutionInput,
  ) {
    return toCase(await this.caseService.resolve(actorOf(ctx), caseId, resolution, details ?? {}));
  }

  @FieldResolver(() => [CaseClock], { description: "The case's service clocks now, recomputed from its clock events (a read of the case, audited)" })
  async clocks(@Root() c: Case, @Ctx() ctx: RequestContext): Promise<CaseClock[]> {
    if (c.preloadedClocks) return c.preloadedClocks;
    return (await this.clockService.states(actorOf(ctx), c.id)).map(toCaseClock);
  }

  @FieldResolver(() => Customer, { nullable: true, description: "Null with an error when the caller may not read this customer" })
  async customer(@Root() c: Case, @Ctx() ctx: RequestContext, @Info() info: GraphQLResolveInfo) {
    return toCustomer(await this.customerService.get(actorOf(ctx), c.customerId, pick(selectedFields(info), CUSTOMER_PII_FIELDS)));
  }
}
