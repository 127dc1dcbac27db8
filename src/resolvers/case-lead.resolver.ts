// Team-lead views: open cases by clock state, workload per agent, cases due within N hours.
import { Arg, Ctx, Int, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import type { BusinessLine } from "../domain/enums";
import { AgentWorkload, CaseDue, OpenCasesByClockState } from "../schema/case-lead.type";
import { BusinessLineEnum } from "../schema/enums";
import type { CaseLeadService } from "../services/case-lead.service";
import { toCase } from "./case.resolver";
import { actorOf } from "./support";

@Resolver()
export class CaseLeadResolver {
  constructor(private readonly lead: CaseLeadService) {}

  @Query(() => OpenCasesByClockState, { description: "Team leads (their line) and compliance: open cases counted and listed by clock state" })
  async openCasesByClockState(
    @Ctx() ctx: RequestContext,
    @Arg("businessLine", () => BusinessLineEnum, { nullable: true }) businessLine?: BusinessLine | null,
    @Arg("casesPerState", () => Int, { nullable: true, defaultValue: 50 }) casesPerState?: number,
  ): Promise<OpenCasesByClockState> {
    const result = await this.lead.openCasesByClockState(actorOf(ctx), businessLine ?? null, casesPerState ?? 50);
    return { total: result.total, states: result.states.map((b) => ({ ...b, cases: b.cases.map(toCase) })) };
  }

  @Query(() => [AgentWorkload], { description: "Team leads (their line) and compliance: open cases per agent, with the duty flag" })
  agentWorkload(@Ctx() ctx: RequestContext, @Arg("businessLine", () => BusinessLineEnum, { nullable: true }) businessLine?: BusinessLine | null) {
    return this.lead.agentWorkload(actorOf(ctx), businessLine ?? null);
  }

  @Query(() => [CaseDue], { description: "Team leads (their line) and compliance: open cases with a running clock due within `hours`, soonest first" })
  async casesDueWithin(@Arg("hours", () => Int) hours: number, @Ctx() ctx: RequestContext): Promise<CaseDue[]> {
    return (await this.lead.casesDueWithin(actorOf(ctx), hours)).map((d) => ({ dueAt: d.dueAt, clockKind: d.clockKind, case: toCase(d.case) }));
  }
}
