// The control programme: the register, meetings and action items, suggestions, and what is overdue.
import { Arg, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import type { ControlItemStatus, ControlMeasureStatus, SuggestionDecision, SuggestionStatus } from "../domain/control-programme";
import {
  ControlActionItem,
  ControlItemStatusEnum,
  ControlMeasure,
  ControlMeasureStatusEnum,
  ControlMeeting,
  ControlMilestoneInput,
  CreateControlMeasureInput,
  ImprovementSuggestion,
  OverdueControlItems,
  RecordControlMeetingInput,
  SuggestionDecisionEnum,
  SuggestionStatusEnum,
  UpdateControlMeasureInput,
} from "../schema/control-programme.type";
import type { ControlProgrammeService } from "../services/control-programme.service";
import { actorOf } from "./support";

@Resolver()
export class ControlProgrammeResolver {
  constructor(private readonly control: ControlProgrammeService) {}

  @Query(() => [ControlMeasure], { description: "The control register: compliance and auditors see every measure, owners their own" })
  controlMeasures(
    @Ctx() ctx: RequestContext,
    @Arg("status", () => ControlMeasureStatusEnum, { nullable: true }) status?: ControlMeasureStatus | null,
    @Arg("ownerId", () => ID, { nullable: true }) ownerId?: string | null,
  ) {
    return this.control.listMeasures(actorOf(ctx), { status, ownerId });
  }

  @Query(() => [ControlMeeting], { description: "Control meetings held in [from, to): compliance and auditors all, staff those they attended" })
  controlMeetings(@Ctx() ctx: RequestContext, @Arg("from", () => Date, { nullable: true }) from?: Date | null, @Arg("to", () => Date, { nullable: true }) to?: Date | null) {
    return this.control.listMeetings(actorOf(ctx), { from, to });
  }

  @Query(() => [ControlActionItem], { description: "Action items: compliance and auditors all, owners their own" })
  controlActionItems(@Ctx() ctx: RequestContext, @Arg("status", () => ControlItemStatusEnum, { nullable: true }) status?: ControlItemStatus | null) {
    return this.control.listActionItems(actorOf(ctx), status ?? null);
  }

  @Query(() => [ImprovementSuggestion], { description: "Suggestions: compliance and auditors all, everyone else their own" })
  improvementSuggestions(@Ctx() ctx: RequestContext, @Arg("status", () => SuggestionStatusEnum, { nullable: true }) status?: SuggestionStatus | null) {
    return this.control.listSuggestions(actorOf(ctx), status ?? null);
  }

  @Query(() => OverdueControlItems, { description: "Milestones and action items due at or before asOf and not closed; suggestions unreviewed past their review window" })
  overdueControlItems(@Ctx() ctx: RequestContext, @Arg("asOf", () => Date, { nullable: true }) asOf?: Date | null) {
    return this.control.overdue(actorOf(ctx), asOf ?? null);
  }

  @Mutation(() => ControlMeasure)
  createControlMeasure(@Arg("input", () => CreateControlMeasureInput) input: CreateControlMeasureInput, @Ctx() ctx: RequestContext) {
    return this.control.createMeasure(actorOf(ctx), input);
  }

  @Mutation(() => ControlMeasure)
  updateControlMeasure(@Arg("id", () => ID) id: string, @Arg("input", () => UpdateControlMeasureInput) input: UpdateControlMeasureInput, @Ctx() ctx: RequestContext) {
    return this.control.updateMeasure(actorOf(ctx), id, input);
  }

  @Mutation(() => ControlMeasure)
  addControlMilestone(@Arg("measureId", () => ID) measureId: string, @Arg("input", () => ControlMilestoneInput) input: ControlMilestoneInput, @Ctx() ctx: RequestContext) {
    return this.control.addMilestone(actorOf(ctx), measureId, input);
  }

  @Mutation(() => ControlMeasure, { description: "Compliance, or the measure's owner" })
  setControlMilestoneStatus(@Arg("milestoneId", () => ID) milestoneId: string, @Arg("status", () => ControlItemStatusEnum) status: ControlItemStatus, @Ctx() ctx: RequestContext) {
    return this.control.setMilestoneStatus(actorOf(ctx), milestoneId, status);
  }

  @Mutation(() => ControlMeasure, { description: "Compliance, or the measure's owner: a link or document reference, never the document" })
  addControlEvidence(@Arg("measureId", () => ID) measureId: string, @Arg("reference") reference: string, @Ctx() ctx: RequestContext) {
    return this.control.addEvidence(actorOf(ctx), measureId, reference);
  }

  @Mutation(() => ControlMeeting)
  recordControlMeeting(@Arg("input", () => RecordControlMeetingInput) input: RecordControlMeetingInput, @Ctx() ctx: RequestContext) {
    return this.control.recordMeeting(actorOf(ctx), input);
  }

  @Mutation(() => ControlActionItem, { description: "Compliance, or the item's owner" })
  setControlActionItemStatus(@Arg("id", () => ID) id: string, @Arg("status", () => ControlItemStatusEnum) status: ControlItemStatus, @Ctx() ctx: RequestContext) {
    return this.control.setActionItemStatus(actorOf(ctx), id, status);
  }

  @Mutation(() => ImprovementSuggestion, { description: "Any member of staff" })
  submitImprovementSuggestion(@Arg("text") text: string, @Ctx() ctx: RequestContext) {
    return this.control.submitSuggestion(actorOf(ctx), text);
  }

  @Mutation(() => ImprovementSuggestion, { description: "Compliance officers, never on their own suggestion" })
  reviewImprovementSuggestion(
    @Arg("id", () => ID) id: string,
    @Arg("decision", () => SuggestionDecisionEnum) decision: SuggestionDecision,
    @Ctx() ctx: RequestContext,
    @Arg("note", () => String, { nullable: true }) note?: string | null,
  ) {
    return this.control.reviewSuggestion(actorOf(ctx), id, decision, note ?? null);
  }
}
