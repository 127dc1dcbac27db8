// Status changes of a case, one function per transition so that each has one place for its side
// effects (the clock hooks marked CLOCK HOOK below). The pure table in src/domain/case-workflow.ts
// decides what is allowed; this module refuses the rest and leaves the audit and timeline record.
import { findTransition, reopenDecision, type AwaitingReason, type CaseCommand, type EscalationReason, type ReopenReason, type SystemEscalationReason } from "../domain/case-workflow";
import { missingForClosure } from "../domain/case-resolution";
import type { CaseEntity } from "../entities";
import { forbidden } from "../errors";
import type { AuditDetailValue } from "../audit/core";
import type { UnitOfWork } from "./audited-store";
import { placeCase, recordPlacement } from "./case-assignment.store";
import { createCase } from "./case-intake.store";
import { pauseCaseClocks, restartCaseClocks, resumeCaseClocks, stopCaseClocks } from "./case-clock-hooks";
import { addTimelineEvent, caseRule, customerDataKey, loadCaseFor, mayActAsLead, setStatus, type CaseView } from "./case-support";
import type { CustomerCipher } from "./customer-cipher";
import { requireActor } from "./store-support";

/** Audit action names of the commands. */
export const COMMAND_ACTIONS: Record<CaseCommand, string> = {
  assign: "case.assign",
  start: "case.start",
  awaitCustomer: "case.await_customer",
  resume: "case.resume",
  escalate: "case.escalate",
  deescalate: "case.deescalate",
  resolve: "case.resolve",
  close: "case.close",
  reopen: "case.reopen",
};

/**
 * Checks `command` against the table and the caller's authority, then writes the new status, a
 * STATUS_CHANGED timeline event and the audit event. `details` are codes and ids only.
 */
export async function applyTransition(
  uow: UnitOfWork,
  row: CaseEntity,
  command: CaseCommand,
  details: Record<string, string | null> = {},
  changes: Partial<CaseEntity> = {},
  auditFields: readonly string[] = ["status"],
): Promise<CaseEntity> {
  const check = findTransition(command, row.status);
  if (!check.ok) {
    throw caseRule("INVALID_TRANSITION", `A ${row.status} case cannot ${command}`, { command, from: row.status, allowedFrom: check.allowedFrom.join(",") });
  }
  const actor = uow.actor.ability;
  // Lead transitions need the lead's authority on this row; the scheduler (no principal) acts as the system.
  if (check.transition.by === "lead" && actor && !mayActAsLead(actor, row, command === "assign" ? "assign" : "escalate")) {
    uow.recordAttempt({ action: COMMAND_ACTIONS[command], resourceType: "case", resourceId: row.id, outcome: "DENIED" });
    throw forbidden();
  }
  const from = row.status;
  await setStatus(uow, row, check.transition.to, changes);
  await addTimelineEvent(uow, row.id, "STATUS_CHANGED", { command, from, to: row.status, ...details });
  const auditDetails: Record<string, AuditDetailValue> = { from, to: row.status };
  for (const [k, v] of Object.entries(details)) if (v !== null) auditDetails[k] = v;
  uow.record({ action: COMMAND_ACTIONS[command], resourceType: "case", resourceId: row.id, outcome: "SUCCESS", fields: [...auditFields], details: auditDetails });
  return row;
}

export async function startWork(uow: UnitOfWork, caseId: string): Promise<CaseEntity> {
  const row = await loadCaseFor(uow, caseId, "update", COMMAND_ACTIONS.start);
  return applyTransition(uow, row, "start");
}

export async function awaitCustomer(uow: UnitOfWork, caseId: string, reason: AwaitingReason): Promise<CaseEntity> {
  const row = await loadCaseFor(uow, caseId, "update", COMMAND_ACTIONS.awaitCustomer);
  const updated = await applyTransition(uow, row, "awaitCustomer", { reason });
  await pauseCaseClocks(uow, row.id, reason);
  return updated;
}

export async function resumeWork(uow: UnitOfWork, caseId: string): Promise<CaseEntity> {
  const row = await loadCaseFor(uow, caseId, "update", COMMAND_ACTIONS.resume);
  const updated = await applyTransition(uow, row, "resume");
  await resumeCaseClocks(uow, row.id);
  return updated;
}

export async function escalateCase(uow: UnitOfWork, caseId: string, reason: EscalationReason): Promise<CaseEntity> {
  const row = await loadCaseFor(uow, caseId, "escalate", COMMAND_ACTIONS.escalate);
  return escalateLoadedCase(uow, row, reason);
}

/**
 * Also for the clock scheduler (breach → escalation), which holds the row and acts with no principal;
 * `details` are codes (the scheduler names the breached clock).
 */
export async function escalateLoadedCase(uow: UnitOfWork, row: CaseEntity, reason: EscalationReason | SystemEscalationReason, details: Record<string, string> = {}): Promise<CaseEntity> {
  const from = row.status;
  const updated = await applyTransition(uow, row, "escalate", { reason, ...details });
  // An escalated case is the bank's to work: a wait for the customer ends with it.
  if (from === "AWAITING_CUSTOMER") await resumeCaseClocks(uow, row.id);
  return updated;
}

export async function deescalateCase(uow: UnitOfWork, caseId: string): Promise<CaseEntity> {
  const row = await loadCaseFor(uow, caseId, "escalate", COMMAND_ACTIONS.deescalate);
  return applyTransition(uow, row, "deescalate");
}

export async function closeCase(uow: UnitOfWork, caseId: string): Promise<CaseEntity> {
  const row = await loadCaseFor(uow, caseId, "update", COMMAND_ACTIONS.close);
  if (row.status === "RESOLVED") {
    const missing = missingForClosure(row.kind, { outcome: row.resolutionOutcome as never, rootCauseCode: row.rootCauseCode, finalResponseSentAt: row.finalResponseSentAt });
    if (missing.length > 0) throw caseRule("RESOLUTION_INCOMPLETE", `Record ${missing.join(", ")} before closing`, { missing: missing.join(",") });
  }
  const updated = await applyTransition(uow, row, "close", {}, { closedAt: uow.now }, ["status", "closedAt"]);
  await stopCaseClocks(uow, row.id, "ALL");
  return updated;
}

export type ReopenResult = { reopened: CaseEntity; followUp: null } | { reopened: null; followUp: CaseView };

/**
 * Within the line's reopen window (from resolution) the case itself reopens with its owner; after it,
 * the customer's return is a new case linked to this one, routed like any intake.
 */
export async function reopenCase(uow: UnitOfWork, cipher: CustomerCipher, caseId: string, reason: ReopenReason): Promise<ReopenResult> {
  requireActor(uow);
  const row = await loadCaseFor(uow, caseId, "reopen", COMMAND_ACTIONS.reopen);
  const check = findTransition("reopen", row.status);
  if (!check.ok) throw caseRule("INVALID_TRANSITION", `A ${row.status} case cannot reopen`, { command: "reopen", from: row.status, allowedFrom: check.allowedFrom.join(",") });
  const [policy] = await uow.em.query(`SELECT reopen_window_days FROM case_workflow_policy WHERE business_line = $1`, [row.businessLine]);
  const windowDays: number = policy?.reopen_window_days ?? 30;
  if (reopenDecision(row.resolvedAt, uow.now, windowDays) === "reopen") {
    const keepOwner = row.assigneeId ? (await uow.em.query(`SELECT 1 FROM staff_user WHERE id = $1 AND active`, [row.assigneeId])).length > 0 : false;
    const updated = await applyTransition(uow, row, "reopen", { reason, windowDays: String(windowDays) }, { resolvedAt: null, closedAt: null, assigneeId: keepOwner ? row.assigneeId : null }, ["status", "resolvedAt", "closedAt"]);
    if (!keepOwner) {
      const placement = await placeCase(uow, { teamId: row.teamId, ruleId: "reopen", requiredSkill: null }, row.recusedStaffIds);
      if (placement.assigneeId) await setStatus(uow, updated, updated.status, { assigneeId: placement.assigneeId });
      await recordPlacement(uow, row.id, placement);
    }
    await restartCaseClocks(uow, updated);
    return { reopened: updated, followUp: null };
  }
  const dek = await customerDataKey(uow, cipher, row.customerId);
  const summary = cipher.openCaseText(dek, row.id, "summary", row.summaryEnc);
  const followUp = await createCase(uow, cipher, {
    customerId: row.customerId,
    channel: row.channel,
    kind: row.kind,
    category: row.category,
    complexity: row.complexity,
    businessLine: row.businessLine,
    summary,
    idempotencyKey: null,
    recused: row.recusedStaffIds,
    linkedCaseId: row.id,
  });
  await addTimelineEvent(uow, row.id, "FOLLOW_UP_OPENED", { caseId: followUp.id, reason, windowDays });
  uow.record({ action: COMMAND_ACTIONS.reopen, resourceType: "case", resourceId: row.id, outcome: "SUCCESS", details: { reason, linkedCaseId: followUp.id, windowDays, followUp: true } });
  return { reopened: null, followUp };
}
