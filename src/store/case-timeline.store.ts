// The case timeline: notes, customer contacts and attachment metadata written onto a case, and the
// whole timeline read back in order, narratives decrypted only at the level the reader may see.
import { randomUUID } from "node:crypto";
import { acceptsTimelineEntries } from "../domain/case-workflow";
import { contactAnswersCustomer, type ContactDirection, type ContactKind, type ContactOutcome } from "../domain/case-timeline";
import { MASKED_TEXT } from "../domain/masking";
import { CaseEventEntity, CaseNoteEntity, CustomerKeyEntity, type CaseEntity } from "../entities";
import { badInput } from "../errors";
import { fieldLevels } from "../policies";
import type { UnitOfWork } from "./audited-store";
import { addTimelineEvent, caseRule, customerDataKey, loadCaseFor, setStatus, type CaseNoteView } from "./case-support";
import { ERASED_TEXT, type CustomerCipher } from "./customer-cipher";
import { requireActor } from "./store-support";
import { stopCaseClocks } from "./case-clock-hooks";

export interface ContactInput {
  kind: ContactKind;
  direction: ContactDirection;
  outcome: ContactOutcome;
  occurredAt: Date;
  summary: string | null;
}

export interface AttachmentInput {
  fileName: string;
  mediaType: string;
  sizeBytes: number;
  sha256: string;
}

export interface TimelineEntry {
  id: string;
  type: string;
  occurredAt: Date;
  actorId: string | null;
  data: Record<string, unknown>;
  note: CaseNoteView | null;
  contact: (Omit<ContactInput, "summary"> & { id: string; summary: string | null }) | null;
  attachment: (Omit<AttachmentInput, "fileName"> & { id: string; fileName: string | null }) | null;
}

async function loadWritable(uow: UnitOfWork, caseId: string, auditAction: string): Promise<CaseEntity> {
  const row = await loadCaseFor(uow, caseId, "update", auditAction);
  if (!acceptsTimelineEntries(row.status)) throw caseRule("CASE_CLOSED", "The case is closed", { from: row.status });
  return row;
}

export async function addCaseNote(uow: UnitOfWork, cipher: CustomerCipher, caseId: string, body: string): Promise<CaseNoteView> {
  const { principal } = requireActor(uow);
  const row = await loadWritable(uow, caseId, "case.note.add");
  const dek = await customerDataKey(uow, cipher, row.customerId);
  const note = { id: randomUUID(), caseId: row.id, authorId: principal.id, createdAt: uow.now };
  await uow.em.insert(CaseNoteEntity, { ...note, bodyEnc: cipher.sealCaseText(dek, row.id, `note:${note.id}`, body) });
  await addTimelineEvent(uow, row.id, "NOTE_ADDED", { noteId: note.id });
  uow.record({ action: "case.note.add", resourceType: "case", resourceId: row.id, outcome: "SUCCESS", fields: ["notes"], details: { noteId: note.id } });
  return { id: note.id, authorId: note.authorId, createdAt: note.createdAt, body };
}

export async function recordContact(uow: UnitOfWork, cipher: CustomerCipher, caseId: string, c: ContactInput): Promise<TimelineEntry> {
  const { principal } = requireActor(uow);
  const row = await loadWritable(uow, caseId, "case.contact.record");
  if (c.occurredAt.getTime() > uow.now.getTime()) throw badInput("occurredAt is in the future", "occurredAt");
  const id = randomUUID();
  const dek = c.summary ? await customerDataKey(uow, cipher, row.customerId) : null;
  await uow.em.query(
    `INSERT INTO case_contact (id, case_id, kind, direction, outcome, occurred_at, summary_enc, recorded_by, recorded_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [id, row.id, c.kind, c.direction, c.outcome, c.occurredAt, dek && c.summary ? cipher.sealCaseText(dek, row.id, `contact:${id}`, c.summary) : null, principal.id, uow.now],
  );
  const answers = contactAnswersCustomer(c.direction, c.outcome);
  if (answers && row.firstRespondedAt === null) {
    await setStatus(uow, row, row.status, { firstRespondedAt: c.occurredAt });
    await stopCaseClocks(uow, row.id, ["FIRST_RESPONSE"], c.occurredAt);
  }
  // A call that reached the customer is the callback a complex case is owed.
  if (answers && (c.kind === "CALL" || c.kind === "CALLBACK") && c.outcome === "REACHED") await stopCaseClocks(uow, row.id, ["CALLBACK"], c.occurredAt);
  await addTimelineEvent(uow, row.id, "CONTACT_RECORDED", { contactId: id, kind: c.kind, direction: c.direction, outcome: c.outcome, answersCustomer: answers });
  uow.record({
    action: "case.contact.record",
    resourceType: "case",
    resourceId: row.id,
    outcome: "SUCCESS",
    fields: c.summary ? ["notes"] : [],
    details: { contactId: id, kind: c.kind, direction: c.direction, outcome: c.outcome },
  });
  return { id: String(id), type: "CONTACT_RECORDED", occurredAt: uow.now, actorId: principal.id, data: {}, note: null, attachment: null, contact: { id, ...c } };
}

export async function addAttachment(uow: UnitOfWork, cipher: CustomerCipher, caseId: string, a: AttachmentInput): Promise<TimelineEntry> {
  const { principal } = requireActor(uow);
  const row = await loadWritable(uow, caseId, "case.attachment.add");
  const id = randomUUID();
  const dek = await customerDataKey(uow, cipher, row.customerId);
  await uow.em.query(
    `INSERT INTO case_attachment (id, case_id, file_name_enc, media_type, size_bytes, sha256, recorded_by, recorded_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [id, row.id, cipher.sealCaseText(dek, row.id, `attachment:${id}`, a.fileName), a.mediaType, a.sizeBytes, Buffer.from(a.sha256, "hex"), principal.id, uow.now],
  );
  await addTimelineEvent(uow, row.id, "ATTACHMENT_ADDED", { attachmentId: id, mediaType: a.mediaType, sizeBytes: a.sizeBytes });
  uow.record({
    action: "case.attachment.add",
    resourceType: "case",
    resourceId: row.id,
    outcome: "SUCCESS",
    fields: ["notes"],
    details: { attachmentId: id, mediaType: a.mediaType, sizeBytes: a.sizeBytes, sha256: a.sha256 },
  });
  return { id, type: "ATTACHMENT_ADDED", occurredAt: uow.now, actorId: principal.id, data: {}, note: null, contact: null, attachment: { id, ...a } };
}

/** Every timeline event in the order it was recorded; narratives as the reader's level of "notes" allows. */
export async function readTimeline(uow: UnitOfWork, cipher: CustomerCipher, caseId: string): Promise<TimelineEntry[]> {
  const { ability } = requireActor(uow);
  const row = await loadCaseFor(uow, caseId, "read", "case.timeline.read");
  const level = fieldLevels(ability, "Case", { ...row }, ["notes"]).get("notes");
  const events = await uow.em.find(CaseEventEntity, { where: { caseId: row.id }, order: { occurredAt: "ASC", id: "ASC" } });
  const notes = new Map((await uow.em.find(CaseNoteEntity, { where: { caseId: row.id } })).map((n) => [n.id, n]));
  const contacts = new Map<string, Record<string, any>>((await uow.em.query(`SELECT * FROM case_contact WHERE case_id = $1`, [row.id])).map((c: { id: string }) => [c.id, c]));
  const files = new Map<string, Record<string, any>>((await uow.em.query(`SELECT * FROM case_attachment WHERE case_id = $1`, [row.id])).map((f: { id: string }) => [f.id, f]));
  // An erased customer's key is gone: their narratives read as erased, never as an error.
  const key = level === "full" ? await uow.em.findOne(CustomerKeyEntity, { where: { customerId: row.customerId } }) : null;
  const dek = key?.wrappedDek ? cipher.openDataKey(row.customerId, { version: key.kekVersion, wrapped: key.wrappedDek }) : null;
  // Masked narrative is never decrypted; hidden narrative is not shown at all.
  const text = (field: string, blob: Buffer | null): string | null => {
    if (!blob || level === "hidden" || level === undefined) return null;
    if (level === "masked") return MASKED_TEXT;
    return dek ? cipher.openCaseText(dek, row.id, field, blob) : ERASED_TEXT;
  };
  const entries = events.map((e): TimelineEntry => {
    const n = typeof e.data.noteId === "string" ? notes.get(e.data.noteId) : undefined;
    const c = typeof e.data.contactId === "string" ? contacts.get(e.data.contactId) : undefined;
    const f = typeof e.data.attachmentId === "string" ? files.get(e.data.attachmentId) : undefined;
    return {
      id: String(e.id),
      type: e.type,
      occurredAt: e.occurredAt,
      actorId: e.actorId,
      data: e.data,
      note: n && level !== "hidden" ? { id: n.id, authorId: n.authorId, createdAt: n.createdAt, body: text(`note:${n.id}`, n.bodyEnc)! } : null,
      contact: c
        ? { id: c.id, kind: c.kind, direction: c.direction, outcome: c.outcome, occurredAt: c.occurred_at, summary: text(`contact:${c.id}`, c.summary_enc) }
        : null,
      attachment: f
        ? { id: f.id, mediaType: f.media_type, sizeBytes: Number(f.size_bytes), sha256: (f.sha256 as Buffer).toString("hex"), fileName: text(`attachment:${f.id}`, f.file_name_enc) }
        : null,
    };
  });
  uow.record({ action: "case.timeline.read", resourceType: "case", resourceId: row.id, outcome: "SUCCESS", fields: level === "full" ? ["notes"] : [], details: { entries: entries.length, notes: level ?? "hidden" } });
  return entries;
}
