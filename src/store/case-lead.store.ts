// The team lead's views of open work (issue 7, item 8): open cases by clock state, workload per agent,
// and cases due within N hours. Rows are scoped in SQL by the CASL rules for "supervise" on Case (a lead:
// their line; compliance: every line), so counts never include a row the caller may not supervise. A
// case's clock state needs the clock engine (business calendars), so states are computed on the scoped
// rows; "due within" comes straight from the scheduler's pending breach jobs, in SQL.
import { OPEN_CASE_STATUSES, type BusinessLine } from "../domain/enums";
import type { ClockKind, ClockState } from "../domain/service-clocks";
import { CaseEntity } from "../entities";
import { forbidden } from "../errors";
import { rulesToSql, type ColumnMap } from "../policies";
import type { UnitOfWork } from "./audited-store";
import { loadClockStates } from "./case-clock.store";
import { bareView, type CaseView } from "./case-support";
import { CASE_COLUMNS } from "./case.store";
import { requireActor } from "./store-support";

export const OPEN_CLOCK_STATES = ["ON_TIME", "WARNED", "BREACHED", "PAUSED"] as const;
export type OpenClockState = (typeof OPEN_CLOCK_STATES)[number];

export interface CaseWithClocks extends CaseView {
  clocks: ClockState[];
}

export interface ClockStateBucket {
  state: OpenClockState;
  count: number;
  cases: CaseWithClocks[];
}

export interface AgentWorkload {
  staffId: string;
  displayName: string;
  role: string;
  businessLine: BusinessLine | null;
  teamId: string | null;
  onDuty: boolean;
  openCases: number;
  awaitingCustomer: number;
  escalated: number;
}

export interface CaseDue {
  dueAt: Date;
  clockKind: ClockKind;
  case: CaseWithClocks;
}

/** The supervise rules speak of a case's business line; on a staff row that is the staff member's line. */
const STAFF_COLUMNS: ColumnMap = { businessLine: { column: "u.business_line" } };

/**
 * One state per open case, the worst of its running clocks: a breach outweighs a warning, a warning a
 * pause; a case whose clocks are all met or paused-free and under 75 % is on time.
 */
export function caseClockState(states: readonly ClockState[]): OpenClockState {
  const running = states.filter((s) => s.stoppedAt === null);
  if (running.some((s) => s.state === "BREACHED")) return "BREACHED";
  if (running.some((s) => s.state === "WARNED")) return "WARNED";
  if (running.some((s) => s.state === "PAUSED")) return "PAUSED";
  return "ON_TIME";
}

function requireSupervise(uow: UnitOfWork, action: string): ReturnType<typeof requireActor> {
  const actor = requireActor(uow);
  if (!actor.ability.can("supervise", "Case")) {
    uow.recordAttempt({ action, resourceType: "case", resourceId: null, outcome: "DENIED" });
    throw forbidden();
  }
  return actor;
}

function recordCaseReads(uow: UnitOfWork, cases: readonly CaseWithClocks[], via: string): void {
  for (const c of cases) uow.record({ action: "case.read", resourceType: "case", resourceId: c.id, outcome: "SUCCESS", fields: ["clocks"], details: { via } });
}

export async function openCasesByClockState(uow: UnitOfWork, businessLine: BusinessLine | null, casesPerState: number): Promise<{ total: number; states: ClockStateBucket[] }> {
  const { ability } = requireSupervise(uow, "case.supervise.clock_states");
  const scope = rulesToSql(ability, "supervise", "Case", CASE_COLUMNS);
  const qb = uow.em.createQueryBuilder(CaseEntity, "s").where(scope.sql, scope.params).andWhere("s.status IN (:...open)", { open: [...OPEN_CASE_STATUSES] });
  if (businessLine) qb.andWhere("s.business_line = :line", { line: businessLine });
  const rows = await qb.orderBy("s.received_at", "ASC").addOrderBy("s.id", "ASC").getMany();
  const clocks = await loadClockStates(uow, rows.map((r) => r.id));
  const buckets = new Map<OpenClockState, ClockStateBucket>(OPEN_CLOCK_STATES.map((state) => [state, { state, count: 0, cases: [] }]));
  for (const row of rows) {
    const states = clocks.get(row.id) ?? [];
    const bucket = buckets.get(caseClockState(states))!;
    bucket.count++;
    if (bucket.cases.length < casesPerState) bucket.cases.push({ ...bareView(row), clocks: states });
  }
  const out = [...buckets.values()];
  recordCaseReads(uow, out.flatMap((b) => b.cases), "openCasesByClockState");
  return { total: rows.length, states: out };
}

export async function agentWorkload(uow: UnitOfWork, businessLine: BusinessLine | null): Promise<AgentWorkload[]> {
  const { ability } = requireSupervise(uow, "staff.workload.read");
  const staffScope = rulesToSql(ability, "supervise", "Case", STAFF_COLUMNS, "staffscope");
  const caseScope = rulesToSql(ability, "supervise", "Case", CASE_COLUMNS, "casescope");
  const qb = uow.em
    .createQueryBuilder()
    .select("u.id", "staffId")
    .addSelect("u.display_name", "displayName")
    .addSelect("u.role", "role")
    .addSelect("u.business_line", "businessLine")
    .addSelect("u.team_id", "teamId")
    .addSelect("coalesce(d.on_duty, true)", "onDuty")
    .addSelect("count(s.id)::int", "openCases")
    .addSelect("(count(s.id) FILTER (WHERE s.status = 'AWAITING_CUSTOMER'))::int", "awaitingCustomer")
    .addSelect("(count(s.id) FILTER (WHERE s.status = 'ESCALATED'))::int", "escalated")
    .from("staff_user", "u")
    .leftJoin("staff_duty", "d", "d.staff_id = u.id")
    // The cases counted are scoped too: a count never includes a case the caller may not supervise.
    .leftJoin("support_case", "s", `s.assignee_id = u.id AND s.status IN (:...open) AND ${caseScope.sql}`, { open: [...OPEN_CASE_STATUSES], ...caseScope.params })
    .where("u.role IN ('AGENT', 'TEAM_LEAD') AND u.active")
    .andWhere(staffScope.sql, staffScope.params);
  if (businessLine) qb.andWhere("u.business_line = :line", { line: businessLine });
  const rows: AgentWorkload[] = await qb.groupBy("u.id").addGroupBy("d.on_duty").orderBy('"openCases"', "DESC").addOrderBy("u.display_name").addOrderBy("u.id").getRawMany();
  for (const r of rows) {
    uow.record({ action: "staff.workload.read", resourceType: "staff_user", resourceId: r.staffId, outcome: "SUCCESS", details: { openCases: r.openCases, onDuty: r.onDuty } });
  }
  return rows;
}

export const MAX_DUE_WITHIN_HOURS = 24 * 30;
const MAX_DUE_CASES = 500;

export async function casesDueWithin(uow: UnitOfWork, hours: number): Promise<CaseDue[]> {
  const { ability } = requireSupervise(uow, "case.supervise.due");
  const scope = rulesToSql(ability, "supervise", "Case", CASE_COLUMNS);
  const until = new Date(uow.now.getTime() + hours * 3_600_000);
  // A running clock's due instant is its pending BREACH job (paused and stopped clocks have none).
  const due: Array<{ id: string; dueAt: Date; clockKind: ClockKind }> = await uow.em
    .createQueryBuilder(CaseEntity, "s")
    .innerJoin("clock_job", "j", "j.case_id = s.id AND j.status = 'PENDING' AND j.action = 'BREACH' AND j.run_at >= :from AND j.run_at <= :until", { from: uow.now, until })
    .select("s.id", "id")
    .addSelect("min(j.run_at)", "dueAt")
    .addSelect("(array_agg(j.clock_kind ORDER BY j.run_at, j.clock_kind))[1]", "clockKind")
    .where(scope.sql, scope.params)
    .andWhere("s.status IN (:...open)", { open: [...OPEN_CASE_STATUSES] })
    .groupBy("s.id")
    .orderBy('"dueAt"', "ASC")
    .addOrderBy("s.id", "ASC")
    .limit(MAX_DUE_CASES)
    .getRawMany();
  if (due.length === 0) return [];
  const rows = new Map((await uow.em.findBy(CaseEntity, due.map((d) => ({ id: d.id })))).map((r) => [r.id, r]));
  const clocks = await loadClockStates(uow, due.map((d) => d.id));
  const out = due.map((d) => ({ dueAt: new Date(d.dueAt), clockKind: d.clockKind, case: { ...bareView(rows.get(d.id)!), clocks: clocks.get(d.id) ?? [] } }));
  recordCaseReads(uow, out.map((d) => d.case), "casesDueWithin");
  return out;
}
