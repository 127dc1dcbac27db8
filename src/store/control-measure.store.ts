// The register of control measures with their milestones and evidence links. Lists are scoped in SQL by
// the caller's read rules on ControlMeasure; writes check the row and the parts (fields) they touch.
import { randomUUID } from "node:crypto";
import type { ControlItemStatus, ControlMeasureStatus } from "../domain/control-programme";
import { conflict, notFound } from "../errors";
import { rulesToSql, type ColumnMap } from "../policies";
import type { UnitOfWork } from "./audited-store";
import { requireActiveStaff, requireAny, requireOnRow, toDate } from "./control-support";
import { isUuid, requireActor } from "./store-support";

export interface ControlMilestoneView {
  id: string;
  measureId: string;
  title: string;
  dueAt: Date;
  status: ControlItemStatus;
  closedAt: Date | null;
}

export interface ControlEvidenceView {
  id: string;
  reference: string;
  addedBy: string;
  addedAt: Date;
}

export interface ControlMeasureView {
  id: string;
  reference: string;
  title: string;
  objective: string;
  ownerId: string;
  status: ControlMeasureStatus;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  milestones: ControlMilestoneView[];
  evidence: ControlEvidenceView[];
}

export interface NewControlMeasure {
  title: string;
  objective: string;
  ownerId: string;
  milestones: ReadonlyArray<{ title: string; dueAt: Date }>;
}

export interface ControlMeasurePatch {
  title?: string;
  objective?: string;
  ownerId?: string;
  status?: ControlMeasureStatus;
}

export const MEASURE_COLUMNS: ColumnMap = { ownerId: { column: "m.owner_id" }, id: { column: "m.id" } };
const RESOURCE = "control_measure";

interface MeasureRow {
  id: string;
  reference: string;
  title: string;
  objective: string;
  owner_id: string;
  status: ControlMeasureStatus;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

export function milestoneView(r: Record<string, unknown>): ControlMilestoneView {
  return {
    id: String(r.id),
    measureId: String(r.measure_id),
    title: String(r.title),
    dueAt: toDate(r.due_at)!,
    status: r.status as ControlItemStatus,
    closedAt: toDate(r.closed_at),
  };
}

async function withParts(uow: UnitOfWork, rows: readonly MeasureRow[]): Promise<ControlMeasureView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const milestones: Array<Record<string, unknown>> = await uow.em.query(
    `SELECT id, measure_id, title, due_at, status, closed_at FROM control_milestone WHERE measure_id = ANY($1::uuid[]) ORDER BY due_at, id`,
    [ids],
  );
  const evidence: Array<Record<string, unknown>> = await uow.em.query(
    `SELECT id, measure_id, reference, added_by, added_at FROM control_evidence WHERE measure_id = ANY($1::uuid[]) ORDER BY added_at, id`,
    [ids],
  );
  return rows.map((r) => ({
    id: r.id,
    reference: r.reference,
    title: r.title,
    objective: r.objective,
    ownerId: r.owner_id,
    status: r.status,
    createdBy: r.created_by,
    createdAt: toDate(r.created_at)!,
    updatedAt: toDate(r.updated_at)!,
    milestones: milestones.filter((m) => m.measure_id === r.id).map(milestoneView),
    evidence: evidence
      .filter((e) => e.measure_id === r.id)
      .map((e) => ({ id: String(e.id), reference: String(e.reference), addedBy: String(e.added_by), addedAt: toDate(e.added_at)! })),
  }));
}

async function loadMeasure(uow: UnitOfWork, id: string, lock: boolean): Promise<MeasureRow | null> {
  if (!isUuid(id)) return null;
  const rows: MeasureRow[] = await uow.em.query(`SELECT * FROM control_measure WHERE id = $1${lock ? " FOR UPDATE" : ""}`, [id]);
  return rows[0] ?? null;
}

/** The measure for a write on `fields`, locked; NOT_FOUND when missing, FORBIDDEN (recorded) when not the caller's. */
async function measureForWrite(uow: UnitOfWork, id: string, fields: readonly string[], action: string): Promise<MeasureRow> {
  requireActor(uow);
  const row = await loadMeasure(uow, id, true);
  if (!row) {
    uow.recordAttempt({ action, resourceType: RESOURCE, resourceId: isUuid(id) ? id : null, outcome: "FAILURE", details: { code: "NOT_FOUND" } });
    throw notFound("Control measure");
  }
  requireOnRow(uow, "update", "ControlMeasure", { ownerId: row.owner_id, id: row.id }, fields, { action, resourceType: RESOURCE, resourceId: row.id });
  return row;
}

async function touch(uow: UnitOfWork, id: string): Promise<void> {
  await uow.em.query(`UPDATE control_measure SET updated_at = $2, version = version + 1 WHERE id = $1`, [id, uow.now]);
}

async function viewOf(uow: UnitOfWork, id: string): Promise<ControlMeasureView> {
  return (await withParts(uow, [(await loadMeasure(uow, id, false))!]))[0];
}

export async function createMeasure(uow: UnitOfWork, input: NewControlMeasure): Promise<ControlMeasureView> {
  const { principal } = requireAny(uow, "create", "ControlMeasure", { action: "control.measure.create", resourceType: RESOURCE });
  await requireActiveStaff(uow, [input.ownerId], "ownerId");
  const id = randomUUID();
  const [{ n }]: Array<{ n: string }> = await uow.em.query(`SELECT nextval('control_measure_reference_seq')::text AS n`);
  await uow.em.query(
    `INSERT INTO control_measure (id, reference, title, objective, owner_id, status, created_by, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, 'PLANNED', $6, $7, $7)`,
    [id, `CTL-${n.padStart(5, "0")}`, input.title, input.objective, input.ownerId, principal.id, uow.now],
  );
  for (const m of input.milestones) {
    await uow.em.query(`INSERT INTO control_milestone (id, measure_id, title, due_at, status, created_at) VALUES ($1, $2, $3, $4, 'OPEN', $5)`, [
      randomUUID(),
      id,
      m.title,
      m.dueAt,
      uow.now,
    ]);
  }
  uow.record({ action: "control.measure.create", resourceType: RESOURCE, resourceId: id, outcome: "SUCCESS", details: { ownerId: input.ownerId, milestones: input.milestones.length } });
  return viewOf(uow, id);
}

export async function updateMeasure(uow: UnitOfWork, id: string, patch: ControlMeasurePatch): Promise<ControlMeasureView> {
  const fields = (["title", "objective", "ownerId", "status"] as const).filter((f) => patch[f] !== undefined);
  const row = await measureForWrite(uow, id, fields, "control.measure.update");
  if (patch.ownerId !== undefined) await requireActiveStaff(uow, [patch.ownerId], "ownerId");
  await uow.em.query(
    `UPDATE control_measure SET title = coalesce($2, title), objective = coalesce($3, objective), owner_id = coalesce($4, owner_id), status = coalesce($5, status) WHERE id = $1`,
    [row.id, patch.title ?? null, patch.objective ?? null, patch.ownerId ?? null, patch.status ?? null],
  );
  await touch(uow, row.id);
  // Values that are codes and ids are kept; the free text (title, objective) only by name.
  const details: Record<string, string> = {};
  if (patch.status !== undefined) details.status = patch.status;
  if (patch.ownerId !== undefined) details.ownerId = patch.ownerId;
  uow.record({ action: "control.measure.update", resourceType: RESOURCE, resourceId: row.id, outcome: "SUCCESS", fields, details });
  return viewOf(uow, row.id);
}

export async function addMilestone(uow: UnitOfWork, measureId: string, input: { title: string; dueAt: Date }): Promise<ControlMeasureView> {
  const row = await measureForWrite(uow, measureId, ["milestones"], "control.milestone.add");
  const id = randomUUID();
  await uow.em.query(`INSERT INTO control_milestone (id, measure_id, title, due_at, status, created_at) VALUES ($1, $2, $3, $4, 'OPEN', $5)`, [id, row.id, input.title, input.dueAt, uow.now]);
  await touch(uow, row.id);
  uow.record({ action: "control.milestone.add", resourceType: "control_milestone", resourceId: id, outcome: "SUCCESS", details: { measureId: row.id, dueAt: input.dueAt.toISOString() } });
  return viewOf(uow, row.id);
}

export async function setMilestoneStatus(uow: UnitOfWork, milestoneId: string, status: ControlItemStatus): Promise<ControlMeasureView> {
  requireActor(uow);
  const found: Array<{ measure_id: string; status: ControlItemStatus }> = isUuid(milestoneId)
    ? await uow.em.query(`SELECT measure_id, status FROM control_milestone WHERE id = $1`, [milestoneId])
    : [];
  if (found.length === 0) {
    uow.recordAttempt({ action: "control.milestone.status", resourceType: "control_milestone", resourceId: isUuid(milestoneId) ? milestoneId : null, outcome: "FAILURE", details: { code: "NOT_FOUND" } });
    throw notFound("Milestone");
  }
  const row = await measureForWrite(uow, found[0].measure_id, ["milestoneStatus"], "control.milestone.status");
  const { principal } = requireActor(uow);
  const [current]: Array<{ status: ControlItemStatus }> = await uow.em.query(`SELECT status FROM control_milestone WHERE id = $1`, [milestoneId]);
  if (current.status === status) throw conflict(`The milestone is already ${status}`);
  // Closing stamps when it stopped being due; reopening clears it (the audit log keeps the history).
  await uow.em.query(
    `UPDATE control_milestone SET status = $2, closed_at = CASE WHEN $2 = 'OPEN' THEN NULL ELSE $3::timestamptz END, closed_by = CASE WHEN $2 = 'OPEN' THEN NULL ELSE $4::uuid END WHERE id = $1`,
    [milestoneId, status, uow.now, principal.id],
  );
  await touch(uow, row.id);
  uow.record({ action: "control.milestone.status", resourceType: "control_milestone", resourceId: milestoneId, outcome: "SUCCESS", details: { measureId: row.id, from: current.status, to: status } });
  return viewOf(uow, row.id);
}

export async function addEvidence(uow: UnitOfWork, measureId: string, reference: string): Promise<ControlMeasureView> {
  const row = await measureForWrite(uow, measureId, ["evidence"], "control.evidence.add");
  const { principal } = requireActor(uow);
  const id = randomUUID();
  await uow.em.query(`INSERT INTO control_evidence (id, measure_id, reference, added_by, added_at) VALUES ($1, $2, $3, $4, $5)`, [id, row.id, reference, principal.id, uow.now]);
  await touch(uow, row.id);
  // A link may name an internal system; the log keeps that evidence was added, not where it points.
  uow.record({ action: "control.evidence.add", resourceType: RESOURCE, resourceId: row.id, outcome: "SUCCESS", details: { evidenceId: id } });
  return viewOf(uow, row.id);
}

export async function listMeasures(uow: UnitOfWork, filter: { status: ControlMeasureStatus | null; ownerId: string | null }): Promise<ControlMeasureView[]> {
  const { ability } = requireAny(uow, "read", "ControlMeasure", { action: "control.measure.read", resourceType: RESOURCE });
  const scope = rulesToSql(ability, "read", "ControlMeasure", MEASURE_COLUMNS);
  const qb = uow.em.createQueryBuilder().select("m.*").from("control_measure", "m").where(scope.sql, scope.params);
  if (filter.status) qb.andWhere("m.status = :status", { status: filter.status });
  if (filter.ownerId) qb.andWhere("m.owner_id = :owner", { owner: isUuid(filter.ownerId) ? filter.ownerId : "00000000-0000-0000-0000-000000000000" });
  const rows = await qb.orderBy("m.reference", "ASC").limit(500).getRawMany<MeasureRow>();
  const views = await withParts(uow, rows);
  for (const v of views) uow.record({ action: "control.measure.read", resourceType: RESOURCE, resourceId: v.id, outcome: "SUCCESS" });
  return views;
}
