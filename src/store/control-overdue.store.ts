// What is overdue in the control programme as of an instant, in SQL and scoped by the caller's read rules:
// milestones and action items due at or before `asOf` and not closed by then; suggestions still
// unreviewed `reviewDays` days after submission. The rule's reference is isOverdue (src/domain).
import { DAY_MS } from "../clock";
import { rulesToSql } from "../policies";
import type { UnitOfWork } from "./audited-store";
import { MEASURE_COLUMNS, milestoneView, type ControlMilestoneView } from "./control-measure.store";
import { ACTION_ITEM_COLUMNS, actionItemView, type ControlActionItemView } from "./control-meeting.store";
import { requireAny } from "./control-support";
import { SUGGESTION_COLUMNS, suggestionView, type SuggestionView } from "./control-suggestion.store";

export interface OverdueMilestone extends ControlMilestoneView {
  measureReference: string;
  ownerId: string;
}

export interface OverdueControlItems {
  asOf: Date;
  suggestionReviewDays: number;
  milestones: OverdueMilestone[];
  actionItems: ControlActionItemView[];
  suggestions: Array<SuggestionView & { reviewDueAt: Date }>;
}

export async function overdueControlItems(uow: UnitOfWork, asOf: Date, reviewDays: number): Promise<OverdueControlItems> {
  const { ability } = requireAny(uow, "read", "ControlMeasure", { action: "control.overdue.read", resourceType: "control_measure" });
  const via = { via: "overdueControlItems", asOf: asOf.toISOString() };

  const measures = rulesToSql(ability, "read", "ControlMeasure", MEASURE_COLUMNS, "pm");
  const milestoneRows = await uow.em
    .createQueryBuilder()
    .select("ms.*")
    .addSelect("m.reference", "measure_reference")
    .addSelect("m.owner_id", "owner_id")
    .from("control_milestone", "ms")
    .innerJoin("control_measure", "m", "m.id = ms.measure_id")
    .where(measures.sql, measures.params)
    .andWhere("ms.created_at <= :asOf AND ms.due_at <= :asOf AND (ms.closed_at IS NULL OR ms.closed_at > :asOf)", { asOf })
    .orderBy("ms.due_at", "ASC")
    .addOrderBy("ms.id", "ASC")
    .getRawMany<Record<string, unknown>>();
  const milestones = milestoneRows.map((r) => ({ ...milestoneView(r), measureReference: String(r.measure_reference), ownerId: String(r.owner_id) }));

  const items = rulesToSql(ability, "read", "ControlActionItem", ACTION_ITEM_COLUMNS, "pa");
  const itemRows = await uow.em
    .createQueryBuilder()
    .select("a.*")
    .from("control_action_item", "a")
    .where(items.sql, items.params)
    .andWhere("a.created_at <= :asOf AND a.due_at <= :asOf AND (a.closed_at IS NULL OR a.closed_at > :asOf)", { asOf })
    .orderBy("a.due_at", "ASC")
    .addOrderBy("a.id", "ASC")
    .getRawMany<Record<string, unknown>>();
  const actionItems = itemRows.map(actionItemView);

  // Review falls due reviewDays after submission: overdue from that instant on, as for the items above.
  const reviewWindow = new Date(asOf.getTime() - reviewDays * DAY_MS);
  const suggestionScope = rulesToSql(ability, "read", "Suggestion", SUGGESTION_COLUMNS, "ps");
  const suggestionRows = await uow.em
    .createQueryBuilder()
    .select("s.*")
    .from("improvement_suggestion", "s")
    .where(suggestionScope.sql, suggestionScope.params)
    .andWhere("s.submitted_at <= :window AND (s.reviewed_at IS NULL OR s.reviewed_at > :asOf)", { window: reviewWindow, asOf })
    .orderBy("s.submitted_at", "ASC")
    .addOrderBy("s.id", "ASC")
    .getRawMany<Record<string, unknown>>();
  const suggestions = suggestionRows.map((r) => {
    const v = suggestionView(r);
    return { ...v, reviewDueAt: new Date(v.submittedAt.getTime() + reviewDays * DAY_MS) };
  });

  for (const m of milestones) uow.record({ action: "control.measure.read", resourceType: "control_measure", resourceId: m.measureId, outcome: "SUCCESS", fields: ["milestones"], details: via });
  for (const a of actionItems) uow.record({ action: "control.action_item.read", resourceType: "control_action_item", resourceId: a.id, outcome: "SUCCESS", details: via });
  for (const s of suggestions) uow.record({ action: "control.suggestion.read", resourceType: "improvement_suggestion", resourceId: s.id, outcome: "SUCCESS", details: via });
  if (milestones.length + actionItems.length + suggestions.length === 0) {
    uow.record({ action: "control.overdue.read", resourceType: "control_measure", resourceId: null, outcome: "SUCCESS", details: via });
  }
  return { asOf, suggestionReviewDays: reviewDays, milestones, actionItems, suggestions };
}
