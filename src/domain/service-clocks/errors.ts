// Why a clock event is refused. Pure domain: the store maps each rule to a coded API error.

export const CLOCK_RULES = {
  NOT_STARTED: "the clock has not been started",
  ALREADY_STARTED: "the clock is already running",
  ALREADY_PAUSED: "the clock is already paused",
  NOT_PAUSED: "the clock is not paused",
  NOT_PAUSABLE: "this clock does not pause",
  STOPPED: "the clock has already stopped",
  OUT_OF_ORDER: "a clock event cannot be earlier than the one before it",
  NOT_EXTENDABLE: "this clock cannot be extended",
  EXTENSION_NOT_ALLOWED: "the clock can only be extended to one of its policy's longer durations",
  EXTENSION_REASON_REQUIRED: "an extension needs a recorded reason",
  HEAD_OFFICE_APPROVAL_REQUIRED: "this extension needs head-office approval (the approver is recorded)",
  CUSTOMER_NOT_INFORMED: "an extension is valid only once the customer has been informed of it",
  DEADLINE_PASSED: "the deadline has already been breached; it can no longer be extended",
} as const;
export type ClockRule = keyof typeof CLOCK_RULES;

/** The rules that are about the request's content rather than the clock's current state. */
export const INPUT_RULES: readonly ClockRule[] = ["EXTENSION_NOT_ALLOWED", "EXTENSION_REASON_REQUIRED", "HEAD_OFFICE_APPROVAL_REQUIRED", "CUSTOMER_NOT_INFORMED"];

export class ClockRuleError extends Error {
  constructor(
    readonly rule: ClockRule,
    readonly clockKind: string,
  ) {
    super(`${clockKind}: ${CLOCK_RULES[rule]}`);
    this.name = "ClockRuleError";
  }
}
