// Case handling: workflow commands, ownership, timeline entries, resolution details and the survey.
import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import type { AwaitingReason, EscalationReason, ReassignmentReason, ReopenReason } from "../domain/case-workflow";
import { Case, CaseSurvey } from "../schema/case.type";
import {
  AwaitingReasonEnum,
  CaseAttachmentInput,
  CaseContactInput,
  CaseResolutionInput,
  CaseTimelineEntry,
  DutyStatus,
  EscalationReasonEnum,
  ReassignmentReasonEnum,
  ReopenReasonEnum,
  RegulatoryExtensionInput,
  RootCause,
} from "../schema/case-handling.type";
import type { CaseHandlingService } from "../services/case-handling.service";
import type { TimelineEntry } from "../store/case-timeline.store";
import { toCase } from "./case.resolver";
import { actorOf } from "./support";

function toEntry(e: TimelineEntry): CaseTimelineEntry {
  return { ...e, details: e.data };
}

@Resolver()
export class CaseHandlingResolver {
  constructor(private readonly handling: CaseHandlingService) {}

  @Query(() => [CaseTimelineEntry], { description: "The case's timeline in recorded order; narratives as the role may see notes" })
  async caseTimeline(@Arg("caseId", () => ID) caseId: string, @Ctx() ctx: RequestContext) {
    return (await this.handling.timeline(actorOf(ctx), caseId)).map(toEntry);
  }

  @Query(() => [RootCause], { description: "The root-cause code list for resolutions" })
  rootCauses(@Ctx() ctx: RequestContext) {
    return this.handling.rootCauses(actorOf(ctx));
  }

  @Mutation(() => Case, { description: "ASSIGNED or REOPENED → IN_PROGRESS" })
  async startCaseWork(@Arg("caseId", () => ID) caseId: string, @Ctx() ctx: RequestContext) {
    return toCase(await this.handling.start(actorOf(ctx), caseId));
  }

  @Mutation(() => Case, { description: "IN_PROGRESS → AWAITING_CUSTOMER" })
  async awaitCustomer(@Arg("caseId", () => ID) caseId: string, @Arg("reason", () => AwaitingReasonEnum) reason: AwaitingReason, @Ctx() ctx: RequestContext) {
    return toCase(await this.handling.awaitCustomer(actorOf(ctx), caseId, reason));
  }

  @Mutation(() => Case, { description: "AWAITING_CUSTOMER → IN_PROGRESS" })
  async resumeCase(@Arg("caseId", () => ID) caseId: string, @Ctx() ctx: RequestContext) {
    return toCase(await this.handling.resume(actorOf(ctx), caseId));
  }

  @Mutation(() => Case, { description: "Team leads: an open case → ESCALATED" })
  async escalateCase(@Arg("caseId", () => ID) caseId: string, @Arg("reason", () => EscalationReasonEnum) reason: EscalationReason, @Ctx() ctx: RequestContext) {
    return toCase(await this.handling.escalate(actorOf(ctx), caseId, reason));
  }

  @Mutation(() => Case, { description: "Team leads: ESCALATED → IN_PROGRESS" })
  async deescalateCase(@Arg("caseId", () => ID) caseId: string, @Ctx() ctx: RequestContext) {
    return toCase(await this.handling.deescalate(actorOf(ctx), caseId));
  }

  @Mutation(() => Case, { description: "Team leads: give an open case to an agent or lead of its line (a queued NEW case becomes ASSIGNED)" })
  async reassignCase(
    @Arg("caseId", () => ID) caseId: string,
    @Arg("assigneeId", () => ID) assigneeId: string,
    @Arg("reason", () => ReassignmentReasonEnum) reason: ReassignmentReason,
    @Ctx() ctx: RequestContext,
  ) {
    return toCase(await this.handling.reassign(actorOf(ctx), caseId, assigneeId, reason));
  }

  @Mutation(() => Case, {
    description: "Team leads: extend a complaint's regulatory decision deadline to 30 days (reason) or 60 days (reason and head-office approval), once the customer is informed",
  })
  async extendRegulatoryDeadline(@Arg("caseId", () => ID) caseId: string, @Arg("input", () => RegulatoryExtensionInput) input: RegulatoryExtensionInput, @Ctx() ctx: RequestContext) {
    return toCase(await this.handling.extendRegulatoryDeadline(actorOf(ctx), caseId, input));
  }

  @Mutation(() => Case, { description: "Outcome, root cause, redress, acceptance, final response of a RESOLVED case" })
  async recordCaseResolution(@Arg("caseId", () => ID) caseId: string, @Arg("input", () => CaseResolutionInput) input: CaseResolutionInput, @Ctx() ctx: RequestContext) {
    return toCase(await this.handling.recordResolution(actorOf(ctx), caseId, input));
  }

  @Mutation(() => Case, { description: "RESOLVED → CLOSED, once the resolution is complete" })
  async closeCase(@Arg("caseId", () => ID) caseId: string, @Ctx() ctx: RequestContext) {
    return toCase(await this.handling.close(actorOf(ctx), caseId));
  }

  @Mutation(() => Case, { description: "Within the line's window the case → REOPENED; after it, a new case linked to it (linkedCaseId)" })
  async reopenCase(@Arg("caseId", () => ID) caseId: string, @Arg("reason", () => ReopenReasonEnum) reason: ReopenReason, @Ctx() ctx: RequestContext) {
    return toCase(await this.handling.reopen(actorOf(ctx), caseId, reason));
  }

  @Mutation(() => CaseTimelineEntry, { description: "A call, e-mail, callback… with the customer, on the timeline" })
  async recordCustomerContact(@Arg("caseId", () => ID) caseId: string, @Arg("input", () => CaseContactInput) input: CaseContactInput, @Ctx() ctx: RequestContext) {
    return toEntry(await this.handling.recordContact(actorOf(ctx), caseId, { ...input, summary: input.summary ?? null }));
  }

  @Mutation(() => CaseTimelineEntry, { description: "Metadata of a file (no file is stored)" })
  async addCaseAttachment(@Arg("caseId", () => ID) caseId: string, @Arg("input", () => CaseAttachmentInput) input: CaseAttachmentInput, @Ctx() ctx: RequestContext) {
    return toEntry(await this.handling.addAttachment(actorOf(ctx), caseId, input));
  }

  @Mutation(() => CaseSurvey, { description: "Once per CLOSED case: score 1–5 and an optional comment (encrypted)" })
  recordSatisfactionSurvey(
    @Arg("caseId", () => ID) caseId: string,
    @Arg("score", () => Int) score: number,
    @Ctx() ctx: RequestContext,
    @Arg("comment", () => String, { nullable: true }) comment?: string | null,
  ) {
    return this.handling.recordSurvey(actorOf(ctx), caseId, score, comment);
  }

  @Mutation(() => DutyStatus, { description: "An agent on or off duty (off duty: no new cases); the agent or their team lead" })
  setAgentOnDuty(@Arg("staffId", () => ID) staffId: string, @Arg("onDuty") onDuty: boolean, @Ctx() ctx: RequestContext) {
    return this.handling.setOnDuty(actorOf(ctx), staffId, onDuty);
  }
}
