// Case rows out: scoped lists and row-checked reads, narratives decrypted only at the level the reader
// may see, every read audited; and the two raw queries intake shares. Writes live in case-*.store.ts.
import { CaseEntity, CaseNoteEntity, CustomerKeyEntity } from "../entities";
import { OPEN_CASE_STATUSES, type BusinessLine, type CaseKind, type CaseStatus } from "../domain/enums";
import { forbidden } from "../errors";
import { MASKED_TEXT } from "../domain/masking";
import { fieldLevels, rulesToSql, type ColumnMap } from "../policies";
import type { UnitOfWork } from "./audited-store";
import { loadCaseFor, toView, type CaseTextField, type CaseView } from "./case-support";
import { ERASED_TEXT, type CustomerCipher } from "./customer-cipher";
import { maskedDetail } from "./customer.store";
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from "./paging";
import { isUuid, requireActor } from "./store-support";

export type { CaseNoteView, CaseSurveyView, CaseTextField, CaseView } from "./case-support";

export interface Route {
  teamId: string;
  ruleId: string;
  requiredSkill: string | null;
}

export interface Placement extends Route {
  assigneeId: string | null;
}

export interface CaseFilter {
  status?: CaseStatus | null;
  businessLine?: BusinessLine | null;
  customerId?: string | null;
  assigneeId?: string | null;
  kind?: CaseKind | null;
}

/** How policy fields map to SQL in this store's queries (exported so tests check the real map). */
export const CASE_COLUMNS: ColumnMap = {
  id: { column: "s.id" },
  businessLine: { column: "s.business_line" },
  teamId: { column: "s.team_id" },
  assigneeId: { column: "s.assignee_id", nullable: true },
  status: { column: "s.status" },
  customerId: { column: "s.customer_id" },
};

export async function readCase(uow: UnitOfWork, cipher: CustomerCipher, id: string, wanted: readonly CaseTextField[]): Promise<CaseView> {
  const row = await loadCaseFor(uow, id, "read", "case.read");
  const [view] = await revealCases(uow, cipher, [row], wanted);
  return view;
}

export async function listCases(
  uow: UnitOfWork,
  cipher: CustomerCipher,
  filter: CaseFilter,
  page: PageRequest,
  wanted: readonly CaseTextField[],
): Promise<Page<CaseView>> {
  const { ability } = requireActor(uow);
  if (!ability.can("read", "Case")) {
    uow.recordAttempt({ action: "case.list", resourceType: "case", resourceId: null, outcome: "DENIED" });
    throw forbidden();
  }
  const size = pageSize(page.first);
  const after = decodeCursor(page.after, "time");
  const scope = rulesToSql(ability, "read", "Case", CASE_COLUMNS);
  const qb = uow.em.createQueryBuilder(CaseEntity, "s").where(scope.sql, scope.params);
  if (filter.status) qb.andWhere("s.status = :status", { status: filter.status });
  if (filter.businessLine) qb.andWhere("s.business_line = :line", { line: filter.businessLine });
  if (filter.kind) qb.andWhere("s.kind = :kind", { kind: filter.kind });
  if (filter.customerId) qb.andWhere("s.customer_id = :customerId", { customerId: isUuid(filter.customerId) ? filter.customerId : null });
  if (filter.assigneeId) qb.andWhere("s.assignee_id = :assigneeId", { assigneeId: isUuid(filter.assigneeId) ? filter.assigneeId : null });
  const totalCount = await qb.getCount();
  if (after) qb.andWhere("(s.received_at, s.id) < (:afterAt, :afterId)", { afterAt: after[0], afterId: after[1] });
  const rows = await qb.orderBy("s.received_at", "DESC").addOrderBy("s.id", "DESC").take(size + 1).getMany();
  const views = await revealCases(uow, cipher, rows.slice(0, size), wanted);
  const byId = new Map(views.map((v) => [v.id, v]));
  return toPage(rows, size, totalCount, (r) => byId.get(r.id)!, (r) => [r.receivedAt.toISOString(), r.id]);
}

async function revealCases(uow: UnitOfWork, cipher: CustomerCipher, rows: CaseEntity[], wanted: readonly CaseTextField[]): Promise<CaseView[]> {
  const { ability } = requireActor(uow);
  // The survey's comment is the narrative field; its score and time are shown to whoever reads the case.
  const levelField = (f: CaseTextField) => (f === "survey" ? "surveyComment" : f);
  const plans = rows.map((row) => {
    const byPolicy = fieldLevels(ability, "Case", { ...row }, wanted.map(levelField));
    const levels = new Map(wanted.map((f) => [f, byPolicy.get(levelField(f))!]));
    return { row, levels, shown: wanted.filter((f) => f === "survey" || levels.get(f) !== "hidden"), decrypt: wanted.filter((f) => levels.get(f) === "full") };
  });
  const customerIds = [...new Set(plans.filter((p) => p.decrypt.length > 0).map((p) => p.row.customerId))];
  const keys = customerIds.length
    ? new Map((await uow.em.findBy(CustomerKeyEntity, customerIds.map((customerId) => ({ customerId })))).map((k) => [k.customerId, k]))
    : new Map<string, CustomerKeyEntity>();
  const withNotes = plans.filter((p) => p.shown.includes("notes"));
  const noteRows = withNotes.length
    ? await uow.em.find(CaseNoteEntity, { where: withNotes.map((p) => ({ caseId: p.row.id })), order: { createdAt: "ASC", id: "ASC" } })
    : [];
  const withSurvey = plans.filter((p) => p.shown.includes("survey")).map((p) => p.row.id);
  const surveys = new Map<string, { score: number; comment_enc: Buffer | null; recorded_at: Date }>(
    withSurvey.length
      ? (await uow.em.query(`SELECT case_id, score, comment_enc, recorded_at FROM case_survey WHERE case_id = ANY($1::uuid[])`, [withSurvey])).map(
          (r: { case_id: string; score: number; comment_enc: Buffer | null; recorded_at: Date }) => [r.case_id, r],
        )
      : [],
  );
  return plans.map(({ row, levels, shown, decrypt }) => {
    const key = keys.get(row.customerId);
    if (decrypt.length > 0 && !key) throw new Error(`customer ${row.customerId} has no data key`);
    // An erased customer's key is gone: the narrative reads as erased, never as an error or garbage.
    const erased = decrypt.length > 0 && key!.wrappedDek === null;
    const dek = decrypt.length > 0 && !erased ? cipher.openDataKey(row.customerId, { version: key!.kekVersion, wrapped: key!.wrappedDek }) : null;
    // A masked narrative is not decrypted at all: it shows only that there is one.
    const text = (field: string, blob: Buffer) => (dek ? cipher.openCaseText(dek, row.id, field, blob) : erased ? ERASED_TEXT : MASKED_TEXT);
    const extra: Pick<CaseView, "summary" | "notes" | "resolution" | "survey"> = {};
    if (shown.includes("summary")) extra.summary = text("summary", row.summaryEnc);
    if (shown.includes("resolution")) extra.resolution = row.resolutionEnc ? text("resolution", row.resolutionEnc) : null;
    if (shown.includes("notes")) {
      extra.notes = noteRows
        .filter((n) => n.caseId === row.id)
        .map((n) => ({ id: n.id, authorId: n.authorId, createdAt: n.createdAt, body: text(`note:${n.id}`, n.bodyEnc) }));
    }
    if (shown.includes("survey")) {
      const s = surveys.get(row.id);
      const commentLevel = levels.get("survey");
      extra.survey = s
        ? { score: s.score, recordedAt: s.recorded_at, comment: s.comment_enc && commentLevel !== "hidden" ? text("survey", s.comment_enc) : null }
        : null;
    }
    uow.record({ action: "case.read", resourceType: "case", resourceId: row.id, outcome: "SUCCESS", fields: decrypt, details: maskedDetail(levels) });
    return toView(row, extra);
  });
}

/**
 * The team's agent with the fewest open cases who is active, on duty, has the rule's skill and is not
 * named in the case. Serialised per team so that simultaneous intakes spread instead of piling on one.
 */
export async function placeCase(uow: UnitOfWork, route: Route, recused: readonly string[]): Promise<Placement> {
  await uow.em.query(`SELECT pg_advisory_xact_lock(hashtext('custos.assign:' || $1))`, [route.teamId]);
  const rows: Array<{ id: string }> = await uow.em.query(
    `SELECT u.id FROM staff_user u
       LEFT JOIN staff_duty d ON d.staff_id = u.id
       LEFT JOIN support_case c ON c.assignee_id = u.id AND c.status = ANY($4)
      WHERE u.team_id = $1 AND u.role = 'AGENT' AND u.active AND coalesce(d.on_duty, true)
        AND NOT (u.id = ANY($3::uuid[]))
        AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM staff_skill s WHERE s.staff_id = u.id AND s.skill = $2))
      GROUP BY u.id ORDER BY count(c.id), u.id LIMIT 1`,
    [route.teamId, route.requiredSkill, [...recused], [...OPEN_CASE_STATUSES]],
  );
  return { ...route, assigneeId: rows[0]?.id ?? null };
}

/** A customer with a case in a line has a relationship with that line (it scopes who may see them). */
export async function addCustomerLine(uow: UnitOfWork, customerId: string, line: BusinessLine): Promise<void> {
  await uow.em.query(
    `UPDATE customer SET business_lines = array_append(business_lines, $2) WHERE id = $1 AND NOT ($2 = ANY(business_lines))`,
    [customerId, line],
  );
}
