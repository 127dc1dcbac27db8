// Control meetings with their decisions and action items. Meetings are scoped by the read rules on
// ControlMeeting (attendees), action items by those on ControlActionItem (owners), both in SQL.
import { randomUUID } from "node:crypto";
import type { ControlItemStatus } from "../domain/control-programme";
import { conflict, notFound } from "../errors";
import { rulesToSql, type ColumnMap } from "../policies";
import type { UnitOfWork } from "./audited-store";
import { requireActiveStaff, requireAny, requireOnRow, toDate } from "./control-support";
import { isUuid, requireActor } from "./store-support";

export interface ControlActionItemView {
  id: string;
  meetingId: string;
  title: string;
  ownerId: string;
  dueAt: Date;
  status: ControlItemStatus;
  closedAt: Date | null;
}

export interface ControlMeetingView {
  id: string;
  title: string;
  heldAt: Date;
  attendeeIds: string[];
  decisions: string[];
  recordedBy: string;
  recordedAt: Date;
  actionItems: ControlActionItemView[];
}

export interface NewControlMeeting {
  title: string;
  heldAt: Date;
  attendeeIds: readonly string[];
  decisions: readonly string[];
  actionItems: ReadonlyArray<{ title: string; ownerId: string; dueAt: Date }>;
}

export const MEETING_COLUMNS: ColumnMap = { attendeeIds: { column: "g.attendee_ids", array: true } };
export const ACTION_ITEM_COLUMNS: ColumnMap = { ownerId: { column: "a.owner_id" } };

export function actionItemView(r: Record<string, unknown>): ControlActionItemView {
  return {
    id: String(r.id),
    meetingId: String(r.meeting_id),
    title: String(r.title),
    ownerId: String(r.owner_id),
    dueAt: toDate(r.due_at)!,
    status: r.status as ControlItemStatus,
    closedAt: toDate(r.closed_at),
  };
}

async function meetingViews(uow: UnitOfWork, rows: ReadonlyArray<Record<string, unknown>>): Promise<ControlMeetingView[]> {
  if (rows.length === 0) return [];
  const items: Array<Record<string, unknown>> = await uow.em.query(
    `SELECT * FROM control_action_item WHERE meeting_id = ANY($1::uuid[]) ORDER BY due_at, id`,
    [rows.map((r) => r.id)],
  );
  return rows.map((r) => ({
    id: String(r.id),
    title: String(r.title),
    heldAt: toDate(r.held_at)!,
    attendeeIds: r.attendee_ids as string[],
    decisions: r.decisions as string[],
    recordedBy: String(r.recorded_by),
    recordedAt: toDate(r.recorded_at)!,
    actionItems: items.filter((i) => i.meeting_id === r.id).map(actionItemView),
  }));
}

export async function recordMeeting(uow: UnitOfWork, input: NewControlMeeting): Promise<ControlMeetingView> {
  const { principal } = requireAny(uow, "create", "ControlMeeting", { action: "control.meeting.record", resourceType: "control_meeting" });
  await requireActiveStaff(uow, input.attendeeIds, "attendeeIds");
  await requireActiveStaff(uow, input.actionItems.map((i) => i.ownerId), "ownerId");
  const id = randomUUID();
  await uow.em.query(
    `INSERT INTO control_meeting (id, title, held_at, attendee_ids, decisions, recorded_by, recorded_at) VALUES ($1, $2, $3, $4::uuid[], $5::text[], $6, $7)`,
    [id, input.title, input.heldAt, [...new Set(input.attendeeIds)], [...input.decisions], principal.id, uow.now],
  );
  const itemIds: string[] = [];
  for (const item of input.actionItems) {
    const itemId = randomUUID();
    itemIds.push(itemId);
    await uow.em.query(`INSERT INTO control_action_item (id, meeting_id, title, owner_id, due_at, status, created_at) VALUES ($1, $2, $3, $4, $5, 'OPEN', $6)`, [
      itemId,
      id,
      item.title,
      item.ownerId,
      item.dueAt,
      uow.now,
    ]);
  }
  // Decisions are staff prose: the log counts them and names the items, it does not quote them.
  uow.record({
    action: "control.meeting.record",
    resourceType: "control_meeting",
    resourceId: id,
    outcome: "SUCCESS",
    details: { heldAt: input.heldAt.toISOString(), attendees: input.attendeeIds.length, decisions: input.decisions.length, actionItems: itemIds.join(",") },
  });
  const rows: Array<Record<string, unknown>> = await uow.em.query(`SELECT * FROM control_meeting WHERE id = $1`, [id]);
  return (await meetingViews(uow, rows))[0];
}

export async function listMeetings(uow: UnitOfWork, range: { from: Date | null; to: Date | null }): Promise<ControlMeetingView[]> {
  const { ability } = requireAny(uow, "read", "ControlMeeting", { action: "control.meeting.read", resourceType: "control_meeting" });
  const scope = rulesToSql(ability, "read", "ControlMeeting", MEETING_COLUMNS);
  const qb = uow.em.createQueryBuilder().select("g.*").from("control_meeting", "g").where(scope.sql, scope.params);
  if (range.from) qb.andWhere("g.held_at >= :from", { from: range.from });
  if (range.to) qb.andWhere("g.held_at < :to", { to: range.to });
  const rows = await qb.orderBy("g.held_at", "DESC").addOrderBy("g.id", "DESC").limit(500).getRawMany<Record<string, unknown>>();
  const views = await meetingViews(uow, rows);
  for (const v of views) uow.record({ action: "control.meeting.read", resourceType: "control_meeting", resourceId: v.id, outcome: "SUCCESS" });
  return views;
}

export async function listActionItems(uow: UnitOfWork, filter: { status: ControlItemStatus | null }): Promise<ControlActionItemView[]> {
  const { ability } = requireAny(uow, "read", "ControlActionItem", { action: "control.action_item.read", resourceType: "control_action_item" });
  const scope = rulesToSql(ability, "read", "ControlActionItem", ACTION_ITEM_COLUMNS);
  const qb = uow.em.createQueryBuilder().select("a.*").from("control_action_item", "a").where(scope.sql, scope.params);
  if (filter.status) qb.andWhere("a.status = :status", { status: filter.status });
  const rows = await qb.orderBy("a.due_at", "ASC").addOrderBy("a.id", "ASC").limit(500).getRawMany<Record<string, unknown>>();
  const views = rows.map(actionItemView);
  for (const v of views) uow.record({ action: "control.action_item.read", resourceType: "control_action_item", resourceId: v.id, outcome: "SUCCESS" });
  return views;
}

export async function setActionItemStatus(uow: UnitOfWork, id: string, status: ControlItemStatus): Promise<ControlActionItemView> {
  const { principal } = requireActor(uow);
  const rows: Array<Record<string, unknown>> = isUuid(id) ? await uow.em.query(`SELECT * FROM control_action_item WHERE id = $1 FOR UPDATE`, [id]) : [];
  if (rows.length === 0) {
    uow.recordAttempt({ action: "control.action_item.status", resourceType: "control_action_item", resourceId: isUuid(id) ? id : null, outcome: "FAILURE", details: { code: "NOT_FOUND" } });
    throw notFound("Action item");
  }
  const row = rows[0];
  requireOnRow(uow, "update", "ControlActionItem", { ownerId: row.owner_id }, ["status"], { action: "control.action_item.status", resourceType: "control_action_item", resourceId: id });
  if (row.status === status) throw conflict(`The action item is already ${status}`);
  await uow.em.query(
    `UPDATE control_action_item SET status = $2, closed_at = CASE WHEN $2 = 'OPEN' THEN NULL ELSE $3::timestamptz END, closed_by = CASE WHEN $2 = 'OPEN' THEN NULL ELSE $4::uuid END
      WHERE id = $1`,
    [id, status, uow.now, principal.id],
  );
  const updated: Array<Record<string, unknown>> = await uow.em.query(`SELECT * FROM control_action_item WHERE id = $1`, [id]);
  uow.record({ action: "control.action_item.status", resourceType: "control_action_item", resourceId: id, outcome: "SUCCESS", details: { from: String(row.status), to: status } });
  return actionItemView(updated[0]);
}
