// The control programme's vocabulary and input rules (issue 8, item 4): statuses, limits on staff-written
// text, evidence references, and what "overdue" means. Pure: no database, no clock.
import { DAY_MS } from "../clock";
import { badInput } from "../errors";

export const CONTROL_MEASURE_STATUSES = ["PLANNED", "IN_PROGRESS", "IMPLEMENTED", "RETIRED"] as const;
export type ControlMeasureStatus = (typeof CONTROL_MEASURE_STATUSES)[number];
export const CONTROL_ITEM_STATUSES = ["OPEN", "DONE", "CANCELLED"] as const;
export type ControlItemStatus = (typeof CONTROL_ITEM_STATUSES)[number];
export const SUGGESTION_STATUSES = ["SUBMITTED", "ACCEPTED", "REJECTED"] as const;
export type SuggestionStatus = (typeof SUGGESTION_STATUSES)[number];
export type SuggestionDecision = Exclude<SuggestionStatus, "SUBMITTED">;

/** A suggestion still unreviewed this many days after submission is overdue (the service's default). */
export const DEFAULT_SUGGESTION_REVIEW_DAYS = 14;
export const MAX_MILESTONES = 50;
export const MAX_DECISIONS = 50;
export const MAX_ACTION_ITEMS = 50;
export const MAX_ATTENDEES = 100;

/**
 * Staff-written text: trimmed, non-empty, bounded, no control characters. The message names the field,
 * never echoes the text (it must never reach logs or error reports).
 */
export function cleanText(value: string, field: string, max: number): string {
  const text = value.trim();
  if (text.length === 0 || text.length > max) throw badInput(`${field} must be 1 to ${max} characters`, field);
  // Tabs and newlines are fine in prose; other control characters (NUL above all) are not.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) throw badInput(`${field} contains control characters`, field);
  return text;
}

const DOC_REF = /^[A-Z][A-Z0-9]{1,15}[-:][A-Za-z0-9][A-Za-z0-9._:/-]{0,120}$/;

function parseHttpUrl(value: string): URL | null {
  if (!/^https?:\/\/\S+$/i.test(value) || value.length > 500) return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/**
 * Evidence is a link or a document reference, not a document: an http(s) URL without credentials, or a
 * reference such as "DMS:2026/CTRL-17" or "TICKET-4711" (an upper-case system code, ':' or '-', then
 * letters, digits and . _ : / -).
 */
export function checkEvidenceReference(value: string): string {
  const ref = value.trim();
  const url = parseHttpUrl(ref);
  if (url) {
    if (url.username || url.password) throw badInput("evidence links must not carry credentials", "reference");
    return url.toString();
  }
  if (DOC_REF.test(ref)) return ref;
  throw badInput("evidence must be an http(s) URL or a document reference", "reference");
}

export function checkDueAt(value: Date, field = "dueAt"): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw badInput(`${field} must be an instant`, field);
  return value;
}

/**
 * An item with a due instant is overdue at `asOf` when it is due (due ≤ asOf: at the due instant it is
 * already overdue, one millisecond before it is not) and it was not closed (done or cancelled) by then.
 * The store applies the same rule in SQL; this is its reference.
 */
export function isOverdue(dueAt: Date, closedAt: Date | null, asOf: Date): boolean {
  return dueAt.getTime() <= asOf.getTime() && (closedAt === null || closedAt.getTime() > asOf.getTime());
}

/** A suggestion's review falls due `reviewDays` days after it was submitted. */
export function suggestionReviewDueAt(submittedAt: Date, reviewDays: number): Date {
  return new Date(submittedAt.getTime() + reviewDays * DAY_MS);
}
