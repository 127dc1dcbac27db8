// Who owns a case: routing by the assignment rules (data), the least-loaded eligible agent (on duty, with
// the skill, not named in the case), reassignment by team leads, and the duty roster.
import { subject } from "@casl/ability";
import { findTransition, type ReassignmentReason } from "../domain/case-workflow";
import { OPEN_CASE_STATUSES } from "../domain/enums";
import type { CaseEntity } from "../entities";
import { badInput, conflict, forbidden, notFound } from "../errors";
import type { UnitOfWork } from "./audited-store";
import { addTimelineEvent, caseRule, loadCaseFor, setStatus } from "./case-support";
import { placeCase, type Placement, type Route } from "./case.store";
import { isUuid, requireActor } from "./store-support";

export { placeCase, type Placement, type Route };

/** The most specific rule of the line whose category prefix matches (exactly or as a dotted prefix). */
export async function routeCase(uow: UnitOfWork, businessLine: string, category: string): Promise<Route> {
  const rows: Array<{ id: string; team_id: string | null; required_skill: string | null }> = await uow.em.query(
    `SELECT r.id, coalesce(r.team_id, t.id) AS team_id, r.required_skill
       FROM assignment_rule r LEFT JOIN team t ON t.business_line = r.business_line
      WHERE r.business_line = $1
        AND (r.category_prefix IS NULL OR r.category_prefix = $2 OR left($2, length(r.category_prefix) + 1) = r.category_prefix || '.')
      ORDER BY length(coalesce(r.category_prefix, '')) DESC LIMIT 1`,
    [businessLine, category],
  );
  const rule = rows[0];
  if (!rule?.team_id) throw conflict(`No team handles ${businessLine}`);
  return { teamId: rule.team_id, ruleId: rule.id, requiredSkill: rule.required_skill };
}

/** Records where intake put the case: its owner, or the team's unassigned queue for the team lead. */
export async function recordPlacement(uow: UnitOfWork, caseId: string, p: Placement): Promise<void> {
  if (p.assigneeId) {
    await addTimelineEvent(uow, caseId, "ASSIGNED", { assigneeId: p.assigneeId, rule: "fewest-open-cases", ruleId: p.ruleId, skill: p.requiredSkill });
    uow.record({ action: "case.assign", resourceType: "case", resourceId: caseId, outcome: "SUCCESS", fields: ["assigneeId"], details: { assigneeId: p.assigneeId, ruleId: p.ruleId } });
    return;
  }
  await addTimelineEvent(uow, caseId, "QUEUED", { reason: "NO_ELIGIBLE_AGENT", teamId: p.teamId, skill: p.requiredSkill });
  uow.record({ action: "case.queue", resourceType: "case", resourceId: caseId, outcome: "SUCCESS", details: { teamId: p.teamId, reason: "NO_ELIGIBLE_AGENT" } });
}

/** A team lead gives the case to someone of its line; a NEW (queued) case becomes ASSIGNED. */
export async function reassignCase(uow: UnitOfWork, caseId: string, assigneeId: string, reason: ReassignmentReason): Promise<CaseEntity> {
  const row = await loadCaseFor(uow, caseId, "assign", "case.reassign");
  if (!OPEN_CASE_STATUSES.includes(row.status)) throw caseRule("CASE_NOT_OPEN", `A ${row.status} case cannot be reassigned`, { from: row.status });
  const [target] = isUuid(assigneeId)
    ? await uow.em.query(`SELECT id, team_id, business_line, role, active FROM staff_user WHERE id = $1`, [assigneeId])
    : [];
  if (!target || !target.active || !["AGENT", "TEAM_LEAD"].includes(target.role) || target.business_line !== row.businessLine) {
    throw badInput("assigneeId must be an active agent or team lead of the case's business line", "assigneeId");
  }
  if (row.recusedStaffIds.includes(target.id)) {
    uow.recordAttempt({ action: "case.reassign", resourceType: "case", resourceId: row.id, outcome: "DENIED", details: { rule: "RECUSED", assigneeId: target.id } });
    throw caseRule("RECUSED", "That person is named in the case and cannot own it");
  }
  if (row.assigneeId === target.id) throw caseRule("ALREADY_ASSIGNED", "The case is already assigned to that person");
  const from = row.assigneeId;
  const statusFrom = row.status;
  // Assigning a queued case is the NEW → ASSIGNED transition; any other open case keeps its status.
  const step = findTransition("assign", row.status);
  const updated = await setStatus(uow, row, step.ok ? step.transition.to : row.status, { assigneeId: target.id, teamId: target.team_id });
  await addTimelineEvent(uow, row.id, "REASSIGNED", { from, assigneeId: target.id, reason, statusFrom, statusTo: updated.status });
  uow.record({
    action: "case.reassign",
    resourceType: "case",
    resourceId: row.id,
    outcome: "SUCCESS",
    fields: ["assigneeId"],
    details: { from, assigneeId: target.id, reason },
  });
  return updated;
}

/** On or off duty: the agent for themself, or a team lead for their team. Off duty means no new cases. */
export async function setOnDuty(uow: UnitOfWork, staffId: string, onDuty: boolean): Promise<{ staffId: string; onDuty: boolean; changedAt: Date }> {
  const { ability, principal } = requireActor(uow);
  const attempt = { action: "staff.duty", resourceType: "staff_user", resourceId: isUuid(staffId) ? staffId : null };
  if (!ability.can("update", "Roster")) {
    uow.recordAttempt({ ...attempt, outcome: "DENIED" });
    throw forbidden();
  }
  const [staff] = isUuid(staffId) ? await uow.em.query(`SELECT id, team_id, role FROM staff_user WHERE id = $1 AND active`, [staffId]) : [];
  if (!staff || staff.role !== "AGENT") {
    uow.recordAttempt({ ...attempt, outcome: "NOT_FOUND" });
    throw notFound("Agent");
  }
  if (!ability.can("update", subject("Roster", { staffId: staff.id, teamId: staff.team_id }) as never)) {
    uow.recordAttempt({ ...attempt, outcome: "DENIED" });
    throw forbidden();
  }
  await uow.em.query(
    `INSERT INTO staff_duty (staff_id, on_duty, changed_at, changed_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (staff_id) DO UPDATE SET on_duty = EXCLUDED.on_duty, changed_at = EXCLUDED.changed_at, changed_by = EXCLUDED.changed_by`,
    [staff.id, onDuty, uow.now, principal.id],
  );
  uow.record({ ...attempt, resourceId: staff.id, outcome: "SUCCESS", details: { onDuty } });
  return { staffId: staff.id, onDuty, changedAt: uow.now };
}
