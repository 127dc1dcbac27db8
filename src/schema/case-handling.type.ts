// GraphQL shapes of case handling: the workflow's reason codes, the timeline, resolution and survey.
import { JSONObjectResolver } from "graphql-scalars";
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { CONTACT_DIRECTIONS, CONTACT_KINDS, CONTACT_OUTCOMES, type ContactDirection, type ContactKind, type ContactOutcome } from "../domain/case-timeline";
import { RESOLUTION_OUTCOMES, type ResolutionOutcome } from "../domain/case-resolution";
import { AWAITING_REASONS, ESCALATION_REASONS, REASSIGNMENT_REASONS, REOPEN_REASONS } from "../domain/case-workflow";
import { CaseNote } from "./case.type";

function enumObject<T extends string>(values: readonly T[]): { [K in T]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
}

export const EscalationReasonEnum = enumObject(ESCALATION_REASONS);
export const ReassignmentReasonEnum = enumObject(REASSIGNMENT_REASONS);
export const AwaitingReasonEnum = enumObject(AWAITING_REASONS);
export const ReopenReasonEnum = enumObject(REOPEN_REASONS);
export const ContactKindEnum = enumObject(CONTACT_KINDS);
export const ContactDirectionEnum = enumObject(CONTACT_DIRECTIONS);
export const ContactOutcomeEnum = enumObject(CONTACT_OUTCOMES);
export const ResolutionOutcomeEnum = enumObject(RESOLUTION_OUTCOMES);
registerEnumType(EscalationReasonEnum, { name: "EscalationReason" });
registerEnumType(ReassignmentReasonEnum, { name: "ReassignmentReason" });
registerEnumType(AwaitingReasonEnum, { name: "AwaitingCustomerReason" });
registerEnumType(ReopenReasonEnum, { name: "ReopenReason" });
registerEnumType(ContactKindEnum, { name: "ContactKind" });
registerEnumType(ContactDirectionEnum, { name: "ContactDirection" });
registerEnumType(ContactOutcomeEnum, { name: "ContactOutcome" });
registerEnumType(ResolutionOutcomeEnum, { name: "ResolutionOutcome" });

@ObjectType({ description: "A customer contact on the timeline; summary is narrative (shown as notes are)" })
export class CaseContact {
  @Field(() => ID) id: string;
  @Field(() => ContactKindEnum) kind: ContactKind;
  @Field(() => ContactDirectionEnum) direction: ContactDirection;
  @Field(() => ContactOutcomeEnum) outcome: ContactOutcome;
  @Field() occurredAt: Date;
  @Field(() => String, { nullable: true }) summary: string | null;
}

@ObjectType({ description: "Metadata of a file kept elsewhere; Custos stores no file" })
export class CaseAttachment {
  @Field(() => ID) id: string;
  @Field(() => String, { nullable: true, description: "Narrative: null or masked for roles that may not read notes" }) fileName: string | null;
  @Field() mediaType: string;
  @Field(() => Int) sizeBytes: number;
  @Field({ description: "SHA-256 of the file, hex" }) sha256: string;
}

@ObjectType()
export class CaseTimelineEntry {
  @Field(() => ID) id: string;
  @Field({ description: "OPENED, ASSIGNED, QUEUED, RECUSAL, REASSIGNED, STATUS_CHANGED, NOTE_ADDED, CONTACT_RECORDED, ATTACHMENT_ADDED, RESOLUTION_RECORDED, SURVEY_RECORDED, FOLLOW_UP_OPENED…" })
  type: string;
  @Field() occurredAt: Date;
  @Field(() => ID, { nullable: true }) actorId: string | null;
  @Field(() => JSONObjectResolver, { description: "Codes and ids only (from, to, reason, assigneeId…)" }) details: Record<string, unknown>;
  @Field(() => CaseNote, { nullable: true }) note: CaseNote | null;
  @Field(() => CaseContact, { nullable: true }) contact: CaseContact | null;
  @Field(() => CaseAttachment, { nullable: true }) attachment: CaseAttachment | null;
}

@ObjectType()
export class RootCause {
  @Field() code: string;
  @Field() description: string;
}

@ObjectType()
export class DutyStatus {
  @Field(() => ID) staffId: string;
  @Field() onDuty: boolean;
  @Field() changedAt: Date;
}

@InputType()
export class CaseContactInput {
  @Field(() => ContactKindEnum) kind: ContactKind;
  @Field(() => ContactDirectionEnum) direction: ContactDirection;
  @Field(() => ContactOutcomeEnum) outcome: ContactOutcome;
  @Field({ description: "When the contact happened (not in the future)" }) occurredAt: Date;
  @Field(() => String, { nullable: true }) summary?: string | null;
}

@InputType()
export class CaseAttachmentInput {
  @Field() fileName: string;
  @Field() mediaType: string;
  @Field(() => Int) sizeBytes: number;
  @Field({ description: "SHA-256 of the file, 64 hex digits" }) sha256: string;
}

@InputType({ description: "A regulatory decision deadline extension; reason and approver are reference codes (they go into the audit log)" })
export class RegulatoryExtensionInput {
  @Field(() => Int, { description: "30 (with a reason) or 60 (also with head office's approval)" }) toDays: number;
  @Field({ description: "Reason code, e.g. THIRD_PARTY_EVIDENCE" }) reason: string;
  @Field(() => String, { nullable: true, description: "Head office's approval reference; required for 60 days" }) approverRef?: string | null;
  @Field({ description: "When the customer was informed of the extension (not in the future)" }) customerInformedAt: Date;
}

@InputType({ description: "Any subset; closing needs outcome and rootCauseCode, and for a complaint finalResponseSentAt" })
export class CaseResolutionInput {
  @Field(() => ResolutionOutcomeEnum, { nullable: true }) outcome?: ResolutionOutcome | null;
  @Field(() => String, { nullable: true, description: "A code of rootCauses" }) rootCauseCode?: string | null;
  @Field(() => String, { nullable: true, description: "Decimal, at most 2 places, e.g. \"120.50\"" }) redressAmount?: string | null;
  @Field(() => String, { nullable: true, description: "ISO 4217, with redressAmount" }) redressCurrency?: string | null;
  @Field(() => Boolean, { nullable: true }) customerAccepted?: boolean | null;
  @Field(() => Date, { nullable: true }) finalResponseSentAt?: Date | null;
}
