// Extension rules: a clock extends only to one of its policy's longer steps, with a reason, with
// head-office approval where the step demands it, and only once the customer has been informed.
import { ClockRuleError } from "./errors";
import type { ClockKind, ClockTerms, ExtensionRecord } from "./types";

/** Reasons and approvals are reference codes, never prose: they are recorded in the audit log. */
export const REASON_CODE = /^[A-Za-z0-9][A-Za-z0-9_.:\-/]{1,63}$/;

export function checkExtension(clockKind: ClockKind, terms: ClockTerms, currentMs: number, ext: ExtensionRecord, at: Date): void {
  if (terms.extensionSteps.length === 0) throw new ClockRuleError("NOT_EXTENDABLE", clockKind);
  const step = terms.extensionSteps.find((s) => s.toMs === ext.toMs);
  if (!step || ext.toMs <= currentMs) throw new ClockRuleError("EXTENSION_NOT_ALLOWED", clockKind);
  if (!ext.reason || !REASON_CODE.test(ext.reason)) throw new ClockRuleError("EXTENSION_REASON_REQUIRED", clockKind);
  // Any step at or below the target that needs approval needs it here too (15 → 60 directly included).
  const needsApproval = terms.extensionSteps.some((s) => s.toMs <= ext.toMs && s.requires === "HEAD_OFFICE_APPROVAL");
  if (needsApproval && !ext.approverId) throw new ClockRuleError("HEAD_OFFICE_APPROVAL_REQUIRED", clockKind);
  if (!ext.customerInformedAt || ext.customerInformedAt.getTime() > at.getTime()) throw new ClockRuleError("CUSTOMER_NOT_INFORMED", clockKind);
}
