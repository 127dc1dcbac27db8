// The case workflow as data: which status may follow which, through which command, by whom, and the
// reason codes each command takes. Pure: the store asks it before every status change.
import { DAY_MS } from "../clock";
import type { CaseStatus } from "./enums";

/** The commands that move a case; each names one transition function in the store (clock hooks go there). */
export const CASE_COMMANDS = ["assign", "start", "awaitCustomer", "resume", "escalate", "deescalate", "resolve", "close", "reopen"] as const;
export type CaseCommand = (typeof CASE_COMMANDS)[number];

/**
 * handler: whoever may update the case (its assignee, a team lead of the line, an internal app);
 * lead: only a team lead of the line (CASL action "assign" or "escalate" on the row).
 */
export type TransitionAuthority = "handler" | "lead";

export interface Transition {
  readonly command: CaseCommand;
  readonly from: CaseStatus;
  readonly to: CaseStatus;
  readonly by: TransitionAuthority;
}

const t = (command: CaseCommand, from: CaseStatus, to: CaseStatus, by: TransitionAuthority = "handler"): Transition => ({ command, from, to, by });

/**
 * NEW → ASSIGNED → IN_PROGRESS ⇄ AWAITING_CUSTOMER → RESOLVED → CLOSED, with ESCALATED and REOPENED.
 * ASSIGNED → RESOLVED is first-contact resolution (answered on the first call). A case waiting for the
 * customer is resumed before it is resolved, so the paused time ends with an explicit event.
 */
export const TRANSITIONS: readonly Transition[] = [
  t("assign", "NEW", "ASSIGNED", "lead"),
  t("start", "ASSIGNED", "IN_PROGRESS"),
  t("start", "REOPENED", "IN_PROGRESS"),
  t("awaitCustomer", "IN_PROGRESS", "AWAITING_CUSTOMER"),
  t("resume", "AWAITING_CUSTOMER", "IN_PROGRESS"),
  t("escalate", "NEW", "ESCALATED", "lead"),
  t("escalate", "ASSIGNED", "ESCALATED", "lead"),
  t("escalate", "IN_PROGRESS", "ESCALATED", "lead"),
  t("escalate", "AWAITING_CUSTOMER", "ESCALATED", "lead"),
  t("escalate", "REOPENED", "ESCALATED", "lead"),
  t("deescalate", "ESCALATED", "IN_PROGRESS", "lead"),
  t("resolve", "ASSIGNED", "RESOLVED"),
  t("resolve", "IN_PROGRESS", "RESOLVED"),
  t("resolve", "ESCALATED", "RESOLVED"),
  t("close", "RESOLVED", "CLOSED"),
  t("reopen", "RESOLVED", "REOPENED"),
  t("reopen", "CLOSED", "REOPENED"),
];

export type TransitionCheck = { ok: true; transition: Transition } | { ok: false; allowedFrom: CaseStatus[] };

/** The transition `command` makes from `from`, or the statuses it could have been made from. */
export function findTransition(command: CaseCommand, from: CaseStatus): TransitionCheck {
  const transition = TRANSITIONS.find((x) => x.command === command && x.from === from);
  if (transition) return { ok: true, transition };
  return { ok: false, allowedFrom: TRANSITIONS.filter((x) => x.command === command).map((x) => x.from) };
}

/** Statuses reachable from `from` by any command (for clients that draw the next buttons). */
export function nextStatuses(from: CaseStatus): CaseStatus[] {
  return [...new Set(TRANSITIONS.filter((x) => x.from === from).map((x) => x.to))];
}

/** Statuses in which the case record can still be written to (notes, contacts, attachments, owner). */
export function acceptsTimelineEntries(status: CaseStatus): boolean {
  return status !== "CLOSED";
}

export const DEFAULT_REOPEN_WINDOW_DAYS = 30;

/**
 * A resolved or closed case reopens itself within the window counted from its resolution; after that
 * the customer's return is a new case linked to the old one (the old record stays as it was decided).
 */
export function reopenDecision(resolvedAt: Date | null, now: Date, windowDays: number): "reopen" | "newLinkedCase" {
  if (!resolvedAt) return "newLinkedCase";
  return now.getTime() - resolvedAt.getTime() <= windowDays * DAY_MS ? "reopen" : "newLinkedCase";
}

// Reason codes: the audit log and the timeline carry codes, never free text (free text is a note).
export const ESCALATION_REASONS = ["COMPLEXITY", "VULNERABLE_CUSTOMER", "REGULATORY_RISK", "DEADLINE_RISK", "CUSTOMER_DISSATISFIED", "MEDIA_OR_LEGAL_THREAT", "OTHER"] as const;
export const REASSIGNMENT_REASONS = ["WORKLOAD", "SKILL", "ABSENCE", "CONFLICT_OF_INTEREST", "CUSTOMER_REQUEST", "ESCALATION", "OTHER"] as const;
export const AWAITING_REASONS = ["DOCUMENTS_REQUESTED", "CUSTOMER_UNREACHABLE", "CONFIRMATION_PENDING", "OTHER"] as const;
export const REOPEN_REASONS = ["CUSTOMER_DISAGREES", "NEW_INFORMATION", "REDRESS_NOT_RECEIVED", "RESOLUTION_FAILED", "OTHER"] as const;
export type EscalationReason = (typeof ESCALATION_REASONS)[number];
/** Escalations the system makes on its own (the clock scheduler at a breach); not offered to people. */
export const SYSTEM_ESCALATION_REASONS = ["CLOCK_BREACH"] as const;
export type SystemEscalationReason = (typeof SYSTEM_ESCALATION_REASONS)[number];
export type ReassignmentReason = (typeof REASSIGNMENT_REASONS)[number];
export type AwaitingReason = (typeof AWAITING_REASONS)[number];
export type ReopenReason = (typeof REOPEN_REASONS)[number];
