// GraphQL shape of a case: narratives are nullable because a role may not see them.
import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import type { BusinessLine, CaseKind, CaseStatus, Channel, Complexity } from "../domain/enums";
import { ConnectionType } from "./connection";
import { BusinessLineEnum, CaseKindEnum, CaseStatusEnum, ChannelEnum, ComplexityEnum } from "./enums";

@ObjectType()
export class CaseNote {
  @Field(() => ID) id: string;
  @Field(() => ID) authorId: string;
  @Field() createdAt: Date;
  @Field() body: string;
}

@ObjectType({ description: "The one satisfaction survey of a closed case; comment is narrative" })
export class CaseSurvey {
  @Field(() => Int) score: number;
  @Field(() => String, { nullable: true }) comment: string | null;
  @Field() recordedAt: Date;
}

@ObjectType({ description: "A service request or complaint, with its clocks." })
export class Case {
  @Field(() => ID) id: string;
  @Field({ description: "Reference number customers can quote" }) reference: string;
  @Field(() => ID) customerId: string;
  @Field(() => ChannelEnum) channel: Channel;
  @Field(() => CaseKindEnum) kind: CaseKind;
  @Field() category: string;
  @Field(() => ComplexityEnum) complexity: Complexity;
  @Field(() => BusinessLineEnum) businessLine: BusinessLine;
  @Field(() => ID) teamId: string;
  @Field(() => CaseStatusEnum) status: CaseStatus;
  @Field(() => ID, { nullable: true }) assigneeId: string | null;
  @Field() receivedAt: Date;
  @Field() firstResponseDueAt: Date;
  @Field(() => Date, { nullable: true }) resolutionDueAt: Date | null;
  @Field(() => Date, { nullable: true }) callbackDueAt: Date | null;
  @Field(() => Date, { nullable: true }) regulatoryDueAt: Date | null;
  @Field(() => Date, { nullable: true }) firstRespondedAt: Date | null;
  @Field(() => Date, { nullable: true }) resolvedAt: Date | null;
  @Field(() => Date, { nullable: true }) closedAt: Date | null;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
  @Field(() => String, { nullable: true }) summary: string | null;
  @Field(() => [CaseNote], { nullable: true }) notes: CaseNote[] | null;
  @Field(() => ID, { nullable: true, description: "The earlier case this one follows up (reopened after its window)" }) linkedCaseId: string | null;
  @Field(() => [ID], { description: "Staff named in the case: never assigned to it" }) recusedStaffIds: string[];
  @Field(() => String, { nullable: true, description: "Resolution narrative; null when the role may not see it or none yet" }) resolution: string | null;
  @Field(() => String, { nullable: true, description: "UPHELD, PARTLY_UPHELD or NOT_UPHELD" }) resolutionOutcome: string | null;
  @Field(() => String, { nullable: true }) rootCauseCode: string | null;
  @Field(() => String, { nullable: true, description: "Decimal string" }) redressAmount: string | null;
  @Field(() => String, { nullable: true }) redressCurrency: string | null;
  @Field(() => Boolean, { nullable: true }) customerAccepted: boolean | null;
  @Field(() => Date, { nullable: true }) finalResponseSentAt: Date | null;
  @Field(() => CaseSurvey, { nullable: true }) survey: CaseSurvey | null;
}

export const CaseConnection = ConnectionType(Case, "Case");

@InputType()
export class OpenCaseInput {
  @Field(() => ID) customerId: string;
  @Field(() => ChannelEnum) channel: Channel;
  @Field(() => CaseKindEnum) kind: CaseKind;
  @Field() category: string;
  @Field(() => ComplexityEnum) complexity: Complexity;
  @Field(() => BusinessLineEnum) businessLine: BusinessLine;
  @Field() summary: string;
  @Field(() => String, { nullable: true, description: "8–128 of [A-Za-z0-9._:-]; a retry with the same key returns the first case" })
  idempotencyKey?: string | null;
  @Field(() => [ID], { nullable: true, description: "Staff the customer names: they will not be assigned (recusal)" })
  involvedStaffIds?: string[] | null;
}

@InputType()
export class CaseFilter {
  @Field(() => CaseStatusEnum, { nullable: true }) status?: CaseStatus | null;
  @Field(() => BusinessLineEnum, { nullable: true }) businessLine?: BusinessLine | null;
  @Field(() => CaseKindEnum, { nullable: true }) kind?: CaseKind | null;
  @Field(() => ID, { nullable: true }) customerId?: string | null;
  @Field(() => ID, { nullable: true }) assigneeId?: string | null;
}
