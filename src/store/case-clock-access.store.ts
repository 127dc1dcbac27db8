// The case row a clock operation acts on, checked against the caller's ability on that very row:
// out of scope reads as missing (and is audited as denied), like every other case operation.
import { forbidden, notFound } from "../errors";
import { canOnRow } from "../policies";
import type { UnitOfWork } from "./audited-store";
import { isUuid, requireActor } from "./store-support";

export interface ClockCaseRow {
  id: string;
  businessLine: string;
  teamId: string;
  assigneeId: string | null;
  status: string;
  kind: string;
  complexity: string;
}

export async function loadClockCaseRow(uow: UnitOfWork, caseId: string, lock = false): Promise<ClockCaseRow | null> {
  if (!isUuid(caseId)) return null;
  // Writers lock the case first, like every workflow command, so clock writes and transitions queue.
  const rows: ClockCaseRow[] = await uow.em.query(
    `SELECT id, business_line AS "businessLine", team_id AS "teamId", assignee_id AS "assigneeId", status, kind, complexity
       FROM support_case WHERE id = $1${lock ? " FOR UPDATE" : ""}`,
    [caseId],
  );
  return rows[0] ?? null;
}

/**
 * Loads the case and checks `action` on it for the unit of work's principal. extend: a deadline
 * extension, the team lead's decision (CASL action "extend" on the row).
 */
export async function authorizeClockCase(uow: UnitOfWork, caseId: string, action: "read" | "update" | "extend", auditAction: string): Promise<ClockCaseRow> {
  const { ability } = requireActor(uow);
  const attempt = { action: auditAction, resourceType: "case", resourceId: isUuid(caseId) ? caseId : null };
  if (!ability.can(action, "Case")) {
    uow.recordAttempt({ ...attempt, outcome: "DENIED" });
    throw forbidden();
  }
  const row = await loadClockCaseRow(uow, caseId, action !== "read");
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
  return row;
}
