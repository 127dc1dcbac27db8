// The vocabulary of service clocks: which clocks exist, how a policy describes one, the events a case
// records about its clocks, and the state recomputed from them.
import type { BusinessLine, CaseKind, Complexity } from "../enums";

export const CLOCK_KINDS = ["FIRST_RESPONSE", "RESOLUTION", "CALLBACK", "REGULATORY_DECISION"] as const;
export type ClockKind = (typeof CLOCK_KINDS)[number];

/** CALENDAR: every millisecond counts. BUSINESS: only the working time of a business calendar counts. */
export const TIME_BASES = ["CALENDAR", "BUSINESS"] as const;
export type TimeBasis = (typeof TIME_BASES)[number];

export const CLOCK_STATES = ["ON_TIME", "WARNED", "BREACHED", "PAUSED", "MET"] as const;
export type ClockStateName = (typeof CLOCK_STATES)[number];

export const CLOCK_EVENT_TYPES = ["STARTED", "PAUSED", "RESUMED", "EXTENDED", "STOPPED"] as const;
export type ClockEventType = (typeof CLOCK_EVENT_TYPES)[number];

/** What an extension step needs before it is valid (each step also needs the customer informed). */
export type ExtensionRequirement = "REASON" | "HEAD_OFFICE_APPROVAL";

export interface ExtensionStep {
  /** The clock's total duration once extended to this step. */
  readonly toMs: number;
  readonly requires: ExtensionRequirement;
}

/** The part of a policy a running clock keeps: copied into its STARTED event, so later policy edits never move it. */
export interface ClockTerms {
  readonly durationMs: number;
  readonly basis: TimeBasis;
  /** The business calendar for BUSINESS clocks; null for CALENDAR ones. */
  readonly calendarId: string | null;
  /** Fraction of the duration at which the owner is warned (0.75). */
  readonly warnRatio: number;
  /** Whether waiting for the customer stops this clock. */
  readonly pausable: boolean;
  /** Longer durations the clock may be extended to, in increasing order; empty when it cannot be. */
  readonly extensionSteps: readonly ExtensionStep[];
}

/** A policy row: which cases it applies to (null matches any) and the terms it gives them. */
export interface ClockPolicy extends ClockTerms {
  readonly clockKind: ClockKind;
  readonly caseKind: CaseKind | null;
  readonly complexity: Complexity | null;
  readonly businessLine: BusinessLine | null;
}

interface ClockEventBase {
  readonly clockKind: ClockKind;
  readonly at: Date;
}

export type ClockEvent =
  | (ClockEventBase & { readonly type: "STARTED"; readonly terms: ClockTerms })
  | (ClockEventBase & { readonly type: "PAUSED"; readonly reason: string })
  | (ClockEventBase & { readonly type: "RESUMED" })
  | (ClockEventBase & { readonly type: "EXTENDED"; readonly extension: ExtensionRecord })
  | (ClockEventBase & { readonly type: "STOPPED" });

/** An extension as recorded: the new total, why, who approved it at head office, when the customer was told. */
export interface ExtensionRecord {
  readonly toMs: number;
  readonly reason: string | null;
  readonly approverId: string | null;
  readonly customerInformedAt: Date | null;
}

export interface ClockState {
  readonly clockKind: ClockKind;
  readonly state: ClockStateName;
  readonly basis: TimeBasis;
  readonly startedAt: Date;
  /** The current total duration (the policy's, or the last extension's). */
  readonly durationMs: number;
  /** Time counted so far, in the clock's basis (business time for BUSINESS clocks). */
  readonly elapsedMs: number;
  /** Calendar time spent paused. */
  readonly pausedMs: number;
  /** When 75 % was (or, if the clock keeps running, will be) reached; null while paused before it. */
  readonly warnAt: Date | null;
  /** The due instant: when the clock breached or will breach; null while paused before it. */
  readonly breachAt: Date | null;
  readonly pausedSince: Date | null;
  readonly pauseReason: string | null;
  readonly stoppedAt: Date | null;
  readonly extensions: readonly ExtensionRecord[];
}
