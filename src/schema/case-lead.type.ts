// GraphQL shapes of the team-lead views: open cases by clock state, workload per agent, cases due soon.
import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import type { BusinessLine } from "../domain/enums";
import type { ClockKind } from "../domain/service-clocks";
import { OPEN_CLOCK_STATES, type OpenClockState } from "../store/case-lead.store";
import { Case, ClockKindEnum } from "./case.type";
import { BusinessLineEnum } from "./enums";

export const OpenClockStateEnum = Object.fromEntries(OPEN_CLOCK_STATES.map((s) => [s, s])) as { [K in OpenClockState]: K };
registerEnumType(OpenClockStateEnum, { name: "OpenCaseClockState", description: "The worst running clock of an open case: BREACHED > WARNED > PAUSED > ON_TIME" });

@ObjectType()
export class ClockStateBucket {
  @Field(() => OpenClockStateEnum) state: OpenClockState;
  @Field(() => Int, { description: "Open cases in this state (all of them, in the caller's scope)" }) count: number;
  @Field(() => [Case], { description: "The oldest of them, at most casesPerState" }) cases: Case[];
}

@ObjectType()
export class OpenCasesByClockState {
  @Field(() => Int) total: number;
  @Field(() => [ClockStateBucket], { description: "ON_TIME, WARNED, BREACHED, PAUSED, always in this order" }) states: ClockStateBucket[];
}

@ObjectType()
export class AgentWorkload {
  @Field(() => ID) staffId: string;
  @Field() displayName: string;
  @Field() role: string;
  @Field(() => BusinessLineEnum, { nullable: true }) businessLine: BusinessLine | null;
  @Field(() => ID, { nullable: true }) teamId: string | null;
  @Field({ description: "On duty (receives new cases)" }) onDuty: boolean;
  @Field(() => Int) openCases: number;
  @Field(() => Int) awaitingCustomer: number;
  @Field(() => Int) escalated: number;
}

@ObjectType()
export class CaseDue {
  @Field({ description: "The earliest due instant of the case's running clocks within the window" }) dueAt: Date;
  @Field(() => ClockKindEnum) clockKind: ClockKind;
  @Field(() => Case) case: Case;
}
