// Staff improvement suggestions and their review. Readers are scoped in SQL by the read rules on
// Suggestion (an author: their own; compliance and auditors: all); the review checks the row, so
// nobody reviews their own.
import { randomUUID } from "node:crypto";
import type { SuggestionDecision, SuggestionStatus } from "../domain/control-programme";
import { conflict, notFound } from "../errors";
import { rulesToSql, type ColumnMap } from "../policies";
import type { UnitOfWork } from "./audited-store";
import { requireAny, requireOnRow, toDate } from "./control-support";
import { isUuid, requireActor } from "./store-support";

export interface SuggestionView {
  id: string;
  authorId: string;
  text: string;
  submittedAt: Date;
  status: SuggestionStatus;
  reviewerId: string | null;
  reviewedAt: Date | null;
  reviewNote: string | null;
}

export const SUGGESTION_COLUMNS: ColumnMap = { authorId: { column: "s.author_id" } };
const RESOURCE = "improvement_suggestion";

export function suggestionView(r: Record<string, unknown>): SuggestionView {
  return {
    id: String(r.id),
    authorId: String(r.author_id),
    text: String(r.body),
    submittedAt: toDate(r.submitted_at)!,
    status: r.status as SuggestionStatus,
    reviewerId: (r.reviewer_id as string | null) ?? null,
    reviewedAt: toDate(r.reviewed_at),
    reviewNote: (r.review_note as string | null) ?? null,
  };
}

async function load(uow: UnitOfWork, id: string, lock: boolean): Promise<Record<string, unknown> | null> {
  if (!isUuid(id)) return null;
  const rows: Array<Record<string, unknown>> = await uow.em.query(`SELECT * FROM improvement_suggestion WHERE id = $1${lock ? " FOR UPDATE" : ""}`, [id]);
  return rows[0] ?? null;
}

export async function submitSuggestion(uow: UnitOfWork, text: string): Promise<SuggestionView> {
  const { principal } = requireAny(uow, "create", "Suggestion", { action: "control.suggestion.submit", resourceType: RESOURCE });
  const id = randomUUID();
  await uow.em.query(`INSERT INTO improvement_suggestion (id, author_id, body, submitted_at, status) VALUES ($1, $2, $3, $4, 'SUBMITTED')`, [id, principal.id, text, uow.now]);
  // The text is the author's own words: recorded by length only, never quoted.
  uow.record({ action: "control.suggestion.submit", resourceType: RESOURCE, resourceId: id, outcome: "SUCCESS", details: { length: text.length } });
  return suggestionView((await load(uow, id, false))!);
}

export async function reviewSuggestion(uow: UnitOfWork, id: string, decision: SuggestionDecision, note: string | null): Promise<SuggestionView> {
  const { principal } = requireActor(uow);
  const row = await load(uow, id, true);
  if (!row) {
    uow.recordAttempt({ action: "control.suggestion.review", resourceType: RESOURCE, resourceId: isUuid(id) ? id : null, outcome: "FAILURE", details: { code: "NOT_FOUND" } });
    throw notFound("Suggestion");
  }
  requireOnRow(uow, "update", "Suggestion", { authorId: row.author_id }, [], { action: "control.suggestion.review", resourceType: RESOURCE, resourceId: id });
  if (row.status !== "SUBMITTED") throw conflict("The suggestion has already been reviewed");
  await uow.em.query(`UPDATE improvement_suggestion SET status = $2, reviewer_id = $3, reviewed_at = $4, review_note = $5 WHERE id = $1`, [id, decision, principal.id, uow.now, note]);
  uow.record({ action: "control.suggestion.review", resourceType: RESOURCE, resourceId: id, outcome: "SUCCESS", details: { decision, authorId: String(row.author_id) } });
  return suggestionView((await load(uow, id, false))!);
}

export async function listSuggestions(uow: UnitOfWork, filter: { status: SuggestionStatus | null }): Promise<SuggestionView[]> {
  const { ability } = requireAny(uow, "read", "Suggestion", { action: "control.suggestion.read", resourceType: RESOURCE });
  const scope = rulesToSql(ability, "read", "Suggestion", SUGGESTION_COLUMNS);
  const qb = uow.em.createQueryBuilder().select("s.*").from("improvement_suggestion", "s").where(scope.sql, scope.params);
  if (filter.status) qb.andWhere("s.status = :status", { status: filter.status });
  const rows = await qb.orderBy("s.submitted_at", "ASC").addOrderBy("s.id", "ASC").limit(500).getRawMany<Record<string, unknown>>();
  const views = rows.map(suggestionView);
  for (const v of views) uow.record({ action: "control.suggestion.read", resourceType: RESOURCE, resourceId: v.id, outcome: "SUCCESS" });
  return views;
}
