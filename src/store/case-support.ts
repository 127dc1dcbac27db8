// What every case store shares: loading a case for an action (row policy, recusal, row lock), the
// customer's data key, timeline events, coded refusals, and the view a case is returned as.
import { subject } from "@casl/ability";
import type { CaseStatus } from "../domain/enums";
import { MASKED_TEXT } from "../domain/masking";
import { CaseEntity, CaseEventEntity, CustomerKeyEntity } from "../entities";
import { CustosError, forbidden, notFound } from "../errors";
import { canOnRow, fieldLevels, type AppAbility } from "../policies";
import type { UnitOfWork } from "./audited-store";
import type { CustomerCipher } from "./customer-cipher";
import { customerErased } from "./customer.store";
import { isUuid, requireActor } from "./store-support";

export type CaseTextField = "summary" | "notes" | "resolution" | "survey";

export interface CaseNoteView {
  id: string;
  authorId: string;
  createdAt: Date;
  body: string;
}

export interface CaseSurveyView {
  score: number;
  comment: string | null;
  recordedAt: Date;
}

export interface CaseView extends Omit<CaseEntity, "summaryEnc" | "resolutionEnc" | "version" | "createdBy" | "idempotencyKey"> {
  summary?: string;
  notes?: CaseNoteView[];
  resolution?: string | null;
  survey?: CaseSurveyView | null;
}

/** A refusal by a case rule: CONFLICT with the rule named, so clients switch on code and rule. */
export function caseRule(rule: string, message: string, details: Record<string, string | number | boolean> = {}): CustosError {
  return new CustosError("CONFLICT", message, { rule, ...details });
}

/**
 * update: the row policy's update; assign/escalate: a team lead's authority over the row. Writes lock the
 * row (FOR UPDATE) so concurrent transitions of one case queue instead of racing, and refuse anyone the
 * complaint names (recusal). Out of scope reads like missing; every refusal is audited.
 */
export async function loadCaseFor(
  uow: UnitOfWork,
  id: string,
  action: "read" | "update" | "assign" | "escalate" | "reopen" | "survey" | "extend",
  auditAction: string,
): Promise<CaseEntity> {
  const { ability, principal } = requireActor(uow);
  const attempt = { action: auditAction, resourceType: "case", resourceId: isUuid(id) ? id : null };
  if (!ability.can(action, "Case")) {
    uow.recordAttempt({ ...attempt, outcome: "DENIED" });
    throw forbidden();
  }
  const row = isUuid(id)
    ? await uow.em.findOne(CaseEntity, { where: { id }, ...(action === "read" ? {} : { lock: { mode: "pessimistic_write" as const } }) })
    : null;
  if (!row) {
    uow.recordAttempt({ ...attempt, outcome: "NOT_FOUND" });
    throw notFound("Case");
  }
  if (!canOnRow(ability, "read", "Case", { ...row })) {
    uow.recordAttempt({ ...attempt, outcome: "DENIED" });
    throw notFound("Case");
  }
  if (action !== "read" && !canOnRow(ability, action, "Case", { ...row })) {
    uow.recordAttempt({ ...attempt, outcome: "DENIED" });
    throw forbidden();
  }
  if (action !== "read" && row.recusedStaffIds.includes(principal.id)) {
    uow.recordAttempt({ ...attempt, outcome: "DENIED", details: { rule: "RECUSED" } });
    throw new CustosError("FORBIDDEN", "You are named in this case and may not act on it", { rule: "RECUSED" });
  }
  return row;
}

export function mayActAsLead(ability: AppAbility, row: CaseEntity, action: "assign" | "escalate"): boolean {
  return ability.can(action, subject("Case", { ...row }) as never);
}

export async function customerDataKey(uow: UnitOfWork, cipher: CustomerCipher, customerId: string): Promise<Buffer> {
  const key = await uow.em.findOne(CustomerKeyEntity, { where: { customerId } });
  if (!key) throw new Error(`customer ${customerId} has no data key`);
  if (key.wrappedDek === null) throw customerErased();
  return cipher.openDataKey(customerId, { version: key.kekVersion, wrapped: key.wrappedDek });
}

/** Timeline events hold codes and ids only (no narrative): clocks and reports are recomputed from them. */
export async function addTimelineEvent(uow: UnitOfWork, caseId: string, type: string, data: CaseEventEntity["data"]): Promise<void> {
  await uow.em.insert(CaseEventEntity, { caseId, type, occurredAt: uow.now, actorId: uow.actor.principal?.id ?? null, data });
}

/** Writes a status change guarded by the status it was read in (the row is locked; this is a second guard). */
export async function setStatus(uow: UnitOfWork, row: CaseEntity, to: CaseStatus, extra: Partial<CaseEntity> = {}): Promise<CaseEntity> {
  const changes = { ...extra, status: to, updatedAt: uow.now, version: row.version + 1 };
  const updated = await uow.em.update(CaseEntity, { id: row.id, version: row.version }, changes);
  if (updated.affected !== 1) throw caseRule("STALE", "The case changed meanwhile; reload and try again");
  return Object.assign(row, changes);
}

/** The writer sees the summary back as a read would show it. */
export function echoSummary(ability: AppAbility, row: CaseEntity, summary: () => string): Pick<CaseView, "summary"> {
  const level = fieldLevels(ability, "Case", { ...row }, ["summary"]).get("summary");
  return level === "full" ? { summary: summary() } : level === "masked" ? { summary: MASKED_TEXT } : {};
}

/** Operational fields only: what a workflow command echoes (read the case for its narratives). */
export function bareView(row: CaseEntity): CaseView {
  return toView(row, {});
}

export function toView(row: CaseEntity, extra: Pick<CaseView, "summary" | "notes" | "resolution" | "survey">): CaseView {
  const { summaryEnc: _s, resolutionEnc: _r, version: _v, createdBy: _c, idempotencyKey: _k, ...rest } = row;
  return { ...rest, ...extra };
}
