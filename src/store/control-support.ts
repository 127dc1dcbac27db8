// Helpers the control-programme stores share: refusals recorded as audit attempts, staff id checks.
import { badInput, forbidden, notFound } from "../errors";
import { canOnRow, type Action, type SubjectName } from "../policies";
import type { UnitOfWork } from "./audited-store";
import { isUuid, requireActor } from "./store-support";

type ControlSubject = Extract<SubjectName, "ControlMeasure" | "ControlMeeting" | "ControlActionItem" | "Suggestion">;

/** Refuses (and records the refusal) unless the caller may `action` some `subject` at all. */
export function requireAny(uow: UnitOfWork, action: Action, subject: ControlSubject, audit: { action: string; resourceType: string; resourceId?: string | null }) {
  const actor = requireActor(uow);
  if (!actor.ability.can(action, subject)) {
    uow.recordAttempt({ action: audit.action, resourceType: audit.resourceType, resourceId: audit.resourceId ?? null, outcome: "DENIED" });
    throw forbidden();
  }
  return actor;
}

/** Refuses (and records) unless the caller may `action` this row, for each of `fields` (or the row as a whole). */
export function requireOnRow(
  uow: UnitOfWork,
  action: Action,
  subject: ControlSubject,
  row: Record<string, unknown>,
  fields: readonly string[],
  audit: { action: string; resourceType: string; resourceId: string },
): void {
  const { ability } = requireActor(uow);
  const allowed = fields.length === 0 ? canOnRow(ability, action, subject, row) : fields.every((f) => canOnRow(ability, action, subject, row, f));
  if (!allowed) {
    uow.recordAttempt({ action: audit.action, resourceType: audit.resourceType, resourceId: audit.resourceId, outcome: "DENIED", fields: [...fields] });
    throw forbidden();
  }
}

/** Who can own a measure or an action item: the roles whose policies let an owner report on it. */
export const CONTROL_OWNER_ROLES = ["TEAM_LEAD", "ADMIN", "COMPLIANCE_OFFICER"] as const;

/**
 * Every id must name an active member of staff (an owner: of a role that can act on what it owns);
 * the message says which argument, not which id.
 */
export async function requireActiveStaff(uow: UnitOfWork, ids: readonly string[], field: "ownerId" | "attendeeIds"): Promise<void> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return;
  if (unique.some((id) => !isUuid(id))) throw notFound("Staff user");
  const rows: Array<{ id: string; role: string }> = await uow.em.query(`SELECT id, role FROM staff_user WHERE id = ANY($1::uuid[]) AND active`, [unique]);
  if (rows.length !== unique.length) throw notFound(field === "ownerId" ? "Owner" : "Staff user");
  if (field === "ownerId" && rows.some((r) => !(CONTROL_OWNER_ROLES as readonly string[]).includes(r.role))) {
    throw badInput("an owner must be a team lead, an administrator or a compliance officer", field);
  }
}

export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}
