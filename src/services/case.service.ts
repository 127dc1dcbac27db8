// Case use cases (intake, reads, notes, resolution): validation of input, then one unit of work through
// the audited store. The workflow's other commands are in case-handling.service.ts.
import { badInput } from "../errors";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import { listCases, readCase, type CaseFilter, type CaseTextField } from "../store/case.store";
import { openCase, type OpenCaseInput } from "../store/case-intake.store";
import { resolveCase } from "../store/case-resolution.store";
import { addCaseNote } from "../store/case-timeline.store";
import type { CustomerCipher } from "../store/customer-cipher";
import type { PageRequest } from "../store/paging";
import type { ResolutionDetails } from "../store/case-resolution.store";
import { isUuid } from "../store/store-support";
import { checkResolutionDetails } from "./case-input";

function text(field: string, value: string, max: number): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw badInput(`${field} is required`, field);
  if (trimmed.length > max) throw badInput(`${field} must be at most ${max} characters`, field);
  return trimmed;
}

const CATEGORY = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;
const MAX_INVOLVED_STAFF = 20;

export class CaseService {
  constructor(
    private readonly store: AuditedStore,
    private readonly cipher: CustomerCipher,
  ) {}

  get(actor: AuditActor, id: string, wanted: readonly CaseTextField[]) {
    return this.store.run(actor, null, (uow) => readCase(uow, this.cipher, id, wanted));
  }

  list(actor: AuditActor, filter: CaseFilter, page: PageRequest, wanted: readonly CaseTextField[]) {
    return this.store.run(actor, null, (uow) => listCases(uow, this.cipher, filter, page, wanted));
  }

  open(actor: AuditActor, input: OpenCaseInput) {
    const category = input.category.trim().toLowerCase();
    if (!CATEGORY.test(category)) throw badInput("category must be a code of lower-case letters, digits, '.', '_' or '-'", "category");
    const key = input.idempotencyKey ?? null;
    if (key !== null && !IDEMPOTENCY_KEY.test(key)) throw badInput("idempotencyKey must be 8 to 128 of A-Z a-z 0-9 . _ : -", "idempotencyKey");
    const involved = input.involvedStaffIds ?? [];
    if (involved.length > MAX_INVOLVED_STAFF || !involved.every(isUuid)) throw badInput(`involvedStaffIds must be at most ${MAX_INVOLVED_STAFF} staff ids`, "involvedStaffIds");
    const clean = { ...input, category, summary: text("summary", input.summary, 4000), idempotencyKey: key, involvedStaffIds: involved.map((id) => id.toLowerCase()) };
    return this.store.run(actor, { action: "case.open", resourceType: "case" }, (uow) => openCase(uow, this.cipher, clean));
  }

  addNote(actor: AuditActor, caseId: string, body: string) {
    const clean = text("body", body, 8000);
    return this.store.run(actor, { action: "case.note.add", resourceType: "case", resourceId: caseId }, (uow) =>
      addCaseNote(uow, this.cipher, caseId, clean),
    );
  }

  /** Resolution details may come now or later (recordResolution); closing checks they are complete. */
  resolve(actor: AuditActor, caseId: string, resolution: string, details: ResolutionDetails = {}) {
    const clean = text("resolution", resolution, 8000);
    const checked = checkResolutionDetails(details);
    return this.store.run(actor, { action: "case.resolve", resourceType: "case", resourceId: caseId }, (uow) =>
      resolveCase(uow, this.cipher, caseId, clean, checked),
    );
  }
}
