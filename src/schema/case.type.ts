// GraphQL shape of a case: narratives are nullable because a role may not see them.
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import type { BusinessLine, CaseKind, CaseStatus, Channel, Complexity } from "../domain/enums";
import { CLOCK_KINDS, CLOCK_STATES, TIME_BASES, type ClockKind, type ClockStateName, type TimeBasis } from "../domain/service-clocks";
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

const enumOf = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
export const ClockKindEnum = enumOf(CLOCK_KINDS);
export const ClockStateEnum = enumOf(CLOCK_STATES);
export const TimeBasisEnum = enumOf(TIME_BASES);
registerEnumType(ClockKindEnum, { name: "ClockKind" });
registerEnumType(ClockStateEnum, { name: "ClockState", description: "ON_TIME, WARNED (75 % used), BREACHED, PAUSED (waiting for the customer), MET" });
registerEnumType(TimeBasisEnum, { name: "ClockTimeBasis" });

@ObjectType({ description: "A service clock of a case, recomputed from its recorded clock events at the time of the request" })
export class CaseClock {
  @Field(() => ClockKindEnum) kind: ClockKind;
  @Field(() => ClockStateEnum) state: ClockStateName;
  @Field(() => TimeBasisEnum) basis: TimeBasis;
  @Field() startedAt: Date;
  @Field(() => Date, { nullable: true, description: "When it breaches (or breached); null while paused before it" }) dueAt: Date | null;
  @Field(() => Date, { nullable: true, description: "75 % of the duration; null while paused before it" }) warnAt: Date | null;
  @Field(() => Float, { description: "The current total duration (the policy's or the last extension's), ms" }) durationMs: number;
  @Field(() => Float, { description: "Time counted so far in the clock's basis, ms" }) elapsedMs: number;
  @Field(() => Float, { description: "Calendar time spent paused, ms" }) pausedMs: number;
  @Field(() => Date, { nullable: true }) pausedSince: Date | null;
  @Field(() => String, { nullable: true, description: "Reason code of the current pause" }) pauseReason: string | null;
  @Field(() => Date, { nullable: true }) stoppedAt: Date | null;
  @Field(() => Int, { description: "Extensions granted (regulatory decision clock)" }) extensions: number;
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
  /** Set when the clocks were loaded with the case (customer360, team-lead views); else the field resolver loads them. */
  preloadedClocks?: CaseClock[];
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
