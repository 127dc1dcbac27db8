// Case rows in and out: scoped lists, row-checked reads, intake with immediate assignment, notes and
// resolution — narratives encrypted under the customer's key, every access audited.
import { randomUUID } from "node:crypto";
import { subject } from "@casl/ability";
import { intakeDeadlines } from "../domain/clocks";
import { OPEN_CASE_STATUSES, type BusinessLine, type CaseKind, type CaseStatus, type Channel, type Complexity } from "../domain/enums";
import { CaseEntity, CaseEventEntity, CaseNoteEntity, CustomerKeyEntity, TeamEntity } from "../entities";
import { conflict, forbidden, notFound } from "../errors";
import { MASKED_TEXT } from "../domain/masking";
import { canOnRow, fieldLevels, rulesToSql, type AppAbility, type ColumnMap } from "../policies";
import type { UnitOfWork } from "./audited-store";
import { ERASED_TEXT, type CustomerCipher } from "./customer-cipher";
import { assertCustomerReadable, customerErased, maskedDetail } from "./customer.store";
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from "./paging";
import { isUuid, requireActor } from "./store-support";

export type CaseTextField = "summary" | "notes";

export interface CaseNoteView {
  id: string;
  authorId: string;
  createdAt: Date;
  body: string;
}

export interface CaseView extends Omit<CaseEntity, "summaryEnc" | "resolutionEnc" | "version" | "createdBy"> {
  summary?: string;
  notes?: CaseNoteView[];
}

export interface CaseFilter {
  status?: CaseStatus | null;
  businessLine?: BusinessLine | null;
  customerId?: string | null;
  assigneeId?: string | null;
  kind?: CaseKind | null;
}

export interface OpenCaseInput {
  customerId: string;
  channel: Channel;
  kind: CaseKind;
  category: string;
  complexity: Complexity;
  businessLine: BusinessLine;
  summary: string;
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

export async function openCase(uow: UnitOfWork, cipher: CustomerCipher, input: OpenCaseInput): Promise<CaseView> {
  const { ability, principal } = requireActor(uow);
  if (!ability.can("create", subject("Case", { businessLine: input.businessLine }) as never)) {
    uow.recordAttempt({ action: "case.open", resourceType: "case", resourceId: null, outcome: "DENIED", details: { businessLine: input.businessLine } });
    throw forbidden();
  }
  const customer = await assertCustomerReadable(uow, input.customerId, "case.open");
  const team = await uow.em.findOne(TeamEntity, { where: { businessLine: input.businessLine } });
  if (!team) throw conflict(`No team handles ${input.businessLine}`);
  const assigneeId = await pickAssignee(uow, team.id);
  const id = randomUUID();
  const [{ n }] = await uow.em.query(`SELECT nextval('case_reference_seq')::text AS n`);
  const dek = await customerDataKey(uow, cipher, customer.id);
  const receivedAt = uow.now;
  const row = uow.em.create(CaseEntity, {
    id,
    reference: `CS-${receivedAt.getUTCFullYear()}-${String(n).padStart(6, "0")}`,
    customerId: customer.id,
    channel: input.channel,
    kind: input.kind,
    category: input.category,
    complexity: input.complexity,
    businessLine: input.businessLine,
    teamId: team.id,
    status: assigneeId ? "ASSIGNED" : "NEW",
    assigneeId,
    receivedAt,
    ...intakeDeadlines(input.kind, input.complexity, receivedAt),
    firstRespondedAt: null,
    resolvedAt: null,
    closedAt: null,
    summaryEnc: cipher.sealCaseText(dek, id, "summary", input.summary),
    resolutionEnc: null,
    createdBy: principal.id,
    createdAt: receivedAt,
    updatedAt: receivedAt,
    version: 1,
  });
  await uow.em.insert(CaseEntity, row);
  await uow.em.query(
    `UPDATE customer SET business_lines = array_append(business_lines, $2) WHERE id = $1 AND NOT ($2 = ANY(business_lines))`,
    [customer.id, input.businessLine],
  );
  await addTimelineEvent(uow, id, "OPENED", { channel: input.channel, kind: input.kind, complexity: input.complexity });
  uow.record({
    action: "case.open",
    resourceType: "case",
    resourceId: id,
    outcome: "SUCCESS",
    fields: ["summary"],
    details: { customerId: customer.id, channel: input.channel, kind: input.kind, businessLine: input.businessLine },
  });
  if (assigneeId) {
    await addTimelineEvent(uow, id, "ASSIGNED", { assigneeId, rule: "fewest-open-cases" });
    uow.record({ action: "case.assign", resourceType: "case", resourceId: id, outcome: "SUCCESS", fields: ["assigneeId"], details: { assigneeId } });
  }
  return toView(row, echoSummary(ability, row, () => input.summary));
}

export async function addCaseNote(uow: UnitOfWork, cipher: CustomerCipher, caseId: string, body: string): Promise<CaseNoteView> {
  const { principal } = requireActor(uow);
  const row = await loadCaseFor(uow, caseId, "update", "case.note.add");
  if (row.status === "CLOSED") throw conflict("The case is closed");
  const dek = await customerDataKey(uow, cipher, row.customerId);
  const note = { id: randomUUID(), caseId: row.id, authorId: principal.id, createdAt: uow.now };
  await uow.em.insert(CaseNoteEntity, { ...note, bodyEnc: cipher.sealCaseText(dek, row.id, `note:${note.id}`, body) });
  await addTimelineEvent(uow, row.id, "NOTE_ADDED", { noteId: note.id });
  uow.record({ action: "case.note.add", resourceType: "case", resourceId: row.id, outcome: "SUCCESS", fields: ["notes"], details: { noteId: note.id } });
  return { ...note, body };
}

export async function resolveCase(uow: UnitOfWork, cipher: CustomerCipher, caseId: string, resolution: string): Promise<CaseView> {
  const { ability } = requireActor(uow);
  const row = await loadCaseFor(uow, caseId, "update", "case.resolve");
  if (!OPEN_CASE_STATUSES.includes(row.status)) throw conflict(`A ${row.status} case cannot be resolved`);
  const dek = await customerDataKey(uow, cipher, row.customerId);
  const updated = await uow.em.update(
    CaseEntity,
    { id: row.id, version: row.version },
    {
      status: "RESOLVED",
      resolvedAt: uow.now,
      resolutionEnc: cipher.sealCaseText(dek, row.id, "resolution", resolution),
      updatedAt: uow.now,
      version: row.version + 1,
    },
  );
  if (updated.affected !== 1) throw conflict("The case changed meanwhile; reload and try again");
  await addTimelineEvent(uow, row.id, "RESOLVED", { from: row.status });
  uow.record({ action: "case.resolve", resourceType: "case", resourceId: row.id, outcome: "SUCCESS", fields: ["status", "resolution"] });
  const fresh = await uow.em.findOneOrFail(CaseEntity, { where: { id: row.id } });
  return toView(fresh, echoSummary(ability, fresh, () => cipher.openCaseText(dek, row.id, "summary", fresh.summaryEnc)));
}

/** Loads a case and checks `action` on that row; out of scope is reported as missing and audited as denied. */
async function loadCaseFor(uow: UnitOfWork, id: string, action: "read" | "update", auditAction: string): Promise<CaseEntity> {
  const { ability } = requireActor(uow);
  const attempt = { action: auditAction, resourceType: "case", resourceId: isUuid(id) ? id : null };
  if (!ability.can(action, "Case")) {
    uow.recordAttempt({ ...attempt, outcome: "DENIED" });
    throw forbidden();
  }
  const row = isUuid(id) ? await uow.em.findOne(CaseEntity, { where: { id } }) : null;
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

async function revealCases(uow: UnitOfWork, cipher: CustomerCipher, rows: CaseEntity[], wanted: readonly CaseTextField[]): Promise<CaseView[]> {
  const { ability } = requireActor(uow);
  const plans = rows.map((row) => {
    const levels = fieldLevels(ability, "Case", { ...row }, wanted);
    return { row, levels, shown: wanted.filter((f) => levels.get(f) !== "hidden"), decrypt: wanted.filter((f) => levels.get(f) === "full") };
  });
  const customerIds = [...new Set(plans.filter((p) => p.decrypt.length > 0).map((p) => p.row.customerId))];
  const keys = customerIds.length
    ? new Map((await uow.em.findBy(CustomerKeyEntity, customerIds.map((customerId) => ({ customerId })))).map((k) => [k.customerId, k]))
    : new Map<string, CustomerKeyEntity>();
  const withNotes = plans.filter((p) => p.shown.includes("notes"));
  const noteRows = withNotes.length
    ? await uow.em.find(CaseNoteEntity, { where: withNotes.map((p) => ({ caseId: p.row.id })), order: { createdAt: "ASC", id: "ASC" } })
    : [];
  return plans.map(({ row, levels, shown, decrypt }) => {
    const key = keys.get(row.customerId);
    if (decrypt.length > 0 && !key) throw new Error(`customer ${row.customerId} has no data key`);
    // An erased customer's key is gone: the narrative reads as erased, never as an error or garbage.
    const erased = decrypt.length > 0 && key!.wrappedDek === null;
    const dek = decrypt.length > 0 && !erased ? cipher.openDataKey(row.customerId, { version: key!.kekVersion, wrapped: key!.wrappedDek }) : null;
    // A masked narrative is not decrypted at all: it shows only that there is one.
    const text = (field: string, blob: Buffer) => (dek ? cipher.openCaseText(dek, row.id, field, blob) : erased ? ERASED_TEXT : MASKED_TEXT);
    const extra: Pick<CaseView, "summary" | "notes"> = {};
    if (shown.includes("summary")) extra.summary = text("summary", row.summaryEnc);
    if (shown.includes("notes")) {
      extra.notes = noteRows
        .filter((n) => n.caseId === row.id)
        .map((n) => ({ id: n.id, authorId: n.authorId, createdAt: n.createdAt, body: text(`note:${n.id}`, n.bodyEnc) }));
    }
    uow.record({ action: "case.read", resourceType: "case", resourceId: row.id, outcome: "SUCCESS", fields: decrypt, details: maskedDetail(levels) });
    return toView(row, extra);
  });
}

/** The agent of the team with the fewest open cases; serialised per team so two intakes don't both pick one. */
async function pickAssignee(uow: UnitOfWork, teamId: string): Promise<string | null> {
  await uow.em.query(`SELECT pg_advisory_xact_lock(hashtext('custos.assign:' || $1))`, [teamId]);
  const rows: Array<{ id: string }> = await uow.em.query(
    `SELECT u.id FROM staff_user u
       LEFT JOIN support_case c ON c.assignee_id = u.id AND c.status <> ALL($2)
      WHERE u.team_id = $1 AND u.role = 'AGENT' AND u.active
      GROUP BY u.id ORDER BY count(c.id), u.id LIMIT 1`,
    [teamId, ["RESOLVED", "CLOSED"]],
  );
  return rows[0]?.id ?? null;
}

async function customerDataKey(uow: UnitOfWork, cipher: CustomerCipher, customerId: string): Promise<Buffer> {
  const key = await uow.em.findOne(CustomerKeyEntity, { where: { customerId } });
  if (!key) throw new Error(`customer ${customerId} has no data key`);
  if (key.wrappedDek === null) throw customerErased();
  return cipher.openDataKey(customerId, { version: key.kekVersion, wrapped: key.wrappedDek });
}

async function addTimelineEvent(uow: UnitOfWork, caseId: string, type: string, data: CaseEventEntity["data"]): Promise<void> {
  await uow.em.insert(CaseEventEntity, { caseId, type, occurredAt: uow.now, actorId: uow.actor.principal?.id ?? null, data });
}

/** The writer sees the summary back as a read would show it. */
function echoSummary(ability: AppAbility, row: CaseEntity, summary: () => string): Pick<CaseView, "summary"> {
  const level = fieldLevels(ability, "Case", { ...row }, ["summary"]).get("summary");
  return level === "full" ? { summary: summary() } : level === "masked" ? { summary: MASKED_TEXT } : {};
}

function toView(row: CaseEntity, extra: Pick<CaseView, "summary" | "notes">): CaseView {
  const { summaryEnc: _s, resolutionEnc: _r, version: _v, createdBy: _c, ...rest } = row;
  return { ...rest, ...extra };
}
