// GraphQL shape of the control programme: measures with milestones and evidence, meetings with action
// items, improvement suggestions, and the overdue view.
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { CONTROL_ITEM_STATUSES, CONTROL_MEASURE_STATUSES, SUGGESTION_STATUSES } from "../domain/control-programme";

const enumObject = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
export const ControlMeasureStatusEnum = enumObject(CONTROL_MEASURE_STATUSES);
export const ControlItemStatusEnum = enumObject(CONTROL_ITEM_STATUSES);
export const SuggestionStatusEnum = enumObject(SUGGESTION_STATUSES);
export const SuggestionDecisionEnum = enumObject(["ACCEPTED", "REJECTED"] as const);
registerEnumType(ControlMeasureStatusEnum, { name: "ControlMeasureStatus" });
registerEnumType(ControlItemStatusEnum, { name: "ControlItemStatus" });
registerEnumType(SuggestionStatusEnum, { name: "SuggestionStatus" });
registerEnumType(SuggestionDecisionEnum, { name: "SuggestionDecision" });

@ObjectType()
export class ControlMilestone {
  @Field(() => ID) id: string;
  @Field(() => ID) measureId: string;
  @Field() title: string;
  @Field() dueAt: Date;
  @Field(() => ControlItemStatusEnum) status: string;
  @Field(() => Date, { nullable: true, description: "When it was marked DONE or CANCELLED" }) closedAt: Date | null;
}

@ObjectType()
export class ControlEvidence {
  @Field(() => ID) id: string;
  @Field({ description: "An http(s) URL or a document reference (e.g. DMS:2026/CTRL-17)" }) reference: string;
  @Field(() => ID) addedBy: string;
  @Field() addedAt: Date;
}

@ObjectType()
export class ControlMeasure {
  @Field(() => ID) id: string;
  @Field() reference: string;
  @Field() title: string;
  @Field() objective: string;
  @Field(() => ID, { description: "The staff member who owns the measure" }) ownerId: string;
  @Field(() => ControlMeasureStatusEnum) status: string;
  @Field(() => ID) createdBy: string;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
  @Field(() => [ControlMilestone]) milestones: ControlMilestone[];
  @Field(() => [ControlEvidence]) evidence: ControlEvidence[];
}

@ObjectType()
export class ControlActionItem {
  @Field(() => ID) id: string;
  @Field(() => ID) meetingId: string;
  @Field() title: string;
  @Field(() => ID) ownerId: string;
  @Field() dueAt: Date;
  @Field(() => ControlItemStatusEnum) status: string;
  @Field(() => Date, { nullable: true }) closedAt: Date | null;
}

@ObjectType()
export class ControlMeeting {
  @Field(() => ID) id: string;
  @Field() title: string;
  @Field() heldAt: Date;
  @Field(() => [ID]) attendeeIds: string[];
  @Field(() => [String]) decisions: string[];
  @Field(() => ID) recordedBy: string;
  @Field() recordedAt: Date;
  @Field(() => [ControlActionItem]) actionItems: ControlActionItem[];
}

@ObjectType()
export class ImprovementSuggestion {
  @Field(() => ID) id: string;
  @Field(() => ID) authorId: string;
  @Field() text: string;
  @Field() submittedAt: Date;
  @Field(() => SuggestionStatusEnum) status: string;
  @Field(() => ID, { nullable: true }) reviewerId: string | null;
  @Field(() => Date, { nullable: true }) reviewedAt: Date | null;
  @Field(() => String, { nullable: true }) reviewNote: string | null;
}

@ObjectType()
export class OverdueMilestone extends ControlMilestone {
  @Field() measureReference: string;
  @Field(() => ID) ownerId: string;
}

@ObjectType()
export class OverdueSuggestion extends ImprovementSuggestion {
  @Field({ description: "submittedAt + suggestionReviewDays; overdue from this instant on" }) reviewDueAt: Date;
}

@ObjectType({ description: "Items due at or before asOf and not closed by then (at the due instant an item is overdue)" })
export class OverdueControlItems {
  @Field() asOf: Date;
  @Field(() => Int) suggestionReviewDays: number;
  @Field(() => [OverdueMilestone]) milestones: OverdueMilestone[];
  @Field(() => [ControlActionItem]) actionItems: ControlActionItem[];
  @Field(() => [OverdueSuggestion]) suggestions: OverdueSuggestion[];
}

@InputType()
export class ControlMilestoneInput {
  @Field() title: string;
  @Field() dueAt: Date;
}

@InputType()
export class CreateControlMeasureInput {
  @Field() title: string;
  @Field() objective: string;
  @Field(() => ID) ownerId: string;
  @Field(() => [ControlMilestoneInput], { nullable: true }) milestones?: ControlMilestoneInput[] | null;
}

@InputType({ description: "Compliance may change every field; the owner only the status" })
export class UpdateControlMeasureInput {
  @Field(() => String, { nullable: true }) title?: string | null;
  @Field(() => String, { nullable: true }) objective?: string | null;
  @Field(() => ID, { nullable: true }) ownerId?: string | null;
  @Field(() => ControlMeasureStatusEnum, { nullable: true }) status?: (typeof CONTROL_MEASURE_STATUSES)[number] | null;
}

@InputType()
export class ControlActionItemInput {
  @Field() title: string;
  @Field(() => ID) ownerId: string;
  @Field() dueAt: Date;
}

@InputType()
export class RecordControlMeetingInput {
  @Field() title: string;
  @Field() heldAt: Date;
  @Field(() => [ID]) attendeeIds: string[];
  @Field(() => [String], { nullable: true }) decisions?: string[] | null;
  @Field(() => [ControlActionItemInput], { nullable: true }) actionItems?: ControlActionItemInput[] | null;
}
