// Intake: one path for every channel. Idempotent per (caller, key), recusal recorded, routed by the
// assignment rules, deadlines started. Also opens the follow-up case of a reopen after its window.
import { randomUUID } from "node:crypto";
import { subject } from "@casl/ability";
import { intakeDeadlines } from "../domain/clocks";
import type { BusinessLine, CaseKind, Channel, Complexity } from "../domain/enums";
import { CaseEntity } from "../entities";
import { badInput, forbidden } from "../errors";
import { canOnRow } from "../policies";
import type { UnitOfWork } from "./audited-store";
import { placeCase, recordPlacement, routeCase } from "./case-assignment.store";
import { addTimelineEvent, caseRule, customerDataKey, echoSummary, toView, type CaseView } from "./case-support";
import type { CustomerCipher } from "./customer-cipher";
import { addCustomerLine } from "./case.store";
import { startCaseClocks } from "./case-clock-hooks";
import { loadCalendars, loadClockPolicies } from "./case-clock-data";
import { assertCustomerReadable } from "./customer.store";
import { requireActor } from "./store-support";

export interface OpenCaseInput {
  customerId: string;
  channel: Channel;
  kind: CaseKind;
  category: string;
  complexity: Complexity;
  businessLine: BusinessLine;
  summary: string;
  /** Retries with the same key (same caller) return the first case. */
  idempotencyKey?: string | null;
  /** Staff the customer names in the complaint: never assigned to it, never acting on it. */
  involvedStaffIds?: readonly string[] | null;
}

interface NewCase extends Omit<OpenCaseInput, "idempotencyKey" | "involvedStaffIds"> {
  idempotencyKey: string | null;
  recused: string[];
  linkedCaseId: string | null;
}

export async function openCase(uow: UnitOfWork, cipher: CustomerCipher, input: OpenCaseInput): Promise<CaseView> {
  const { ability, principal } = requireActor(uow);
  if (!ability.can("create", subject("Case", { businessLine: input.businessLine }) as never)) {
    uow.recordAttempt({ action: "case.open", resourceType: "case", resourceId: null, outcome: "DENIED", details: { businessLine: input.businessLine } });
    throw forbidden();
  }
  const key = input.idempotencyKey ?? null;
  if (key) {
    // Concurrent retries of one key queue here; the second then sees the first's committed case. The
    // unique index (created_by, idempotency_key) refuses a duplicate even if this lock were bypassed.
    await uow.em.query(`SELECT pg_advisory_xact_lock(hashtext('custos.intake:' || $1 || ':' || $2))`, [principal.id, key]);
    const earlier = await uow.em.findOne(CaseEntity, { where: { createdBy: principal.id, idempotencyKey: key } });
    if (earlier) return replayIntake(uow, cipher, earlier, input);
  }
  const customer = await assertCustomerReadable(uow, input.customerId, "case.open");
  const recused = await checkStaffIds(uow, input.involvedStaffIds ?? []);
  return createCase(uow, cipher, { ...input, customerId: customer.id, idempotencyKey: key, recused, linkedCaseId: null });
}

/** Inserts, routes and records a case (intake and the follow-up of a late reopen). */
export async function createCase(uow: UnitOfWork, cipher: CustomerCipher, c: NewCase): Promise<CaseView> {
  const { ability, principal } = requireActor(uow);
  const route = await routeCase(uow, c.businessLine, c.category);
  const placement = await placeCase(uow, route, c.recused);
  const id = randomUUID();
  const [{ n }] = await uow.em.query(`SELECT nextval('case_reference_seq')::text AS n`);
  const dek = await customerDataKey(uow, cipher, c.customerId);
  const receivedAt = uow.now;
  // The due columns come from the same policy rows the clocks start with (business calendars included).
  const deadlines = intakeDeadlines(c.kind, c.complexity, receivedAt, { businessLine: c.businessLine, policies: await loadClockPolicies(uow.em), calendars: await loadCalendars(uow.em) });
  const row = uow.em.create(CaseEntity, {
    id,
    reference: `CS-${receivedAt.getUTCFullYear()}-${String(n).padStart(6, "0")}`,
    customerId: c.customerId,
    channel: c.channel,
    kind: c.kind,
    category: c.category,
    complexity: c.complexity,
    businessLine: c.businessLine,
    teamId: placement.teamId,
    status: placement.assigneeId ? "ASSIGNED" : "NEW",
    assigneeId: placement.assigneeId,
    receivedAt,
    ...deadlines,
    firstRespondedAt: null,
    resolvedAt: null,
    closedAt: null,
    summaryEnc: cipher.sealCaseText(dek, id, "summary", c.summary),
    resolutionEnc: null,
    createdBy: principal.id,
    createdAt: receivedAt,
    updatedAt: receivedAt,
    version: 1,
    idempotencyKey: c.idempotencyKey,
    recusedStaffIds: c.recused,
    linkedCaseId: c.linkedCaseId,
    resolutionOutcome: null,
    rootCauseCode: null,
    redressAmount: null,
    redressCurrency: null,
    customerAccepted: null,
    finalResponseSentAt: null,
  });
  await uow.em.insert(CaseEntity, row);
  await addCustomerLine(uow, c.customerId, c.businessLine);
  await addTimelineEvent(uow, id, "OPENED", { channel: c.channel, kind: c.kind, complexity: c.complexity, linkedCaseId: c.linkedCaseId });
  uow.record({
    action: "case.open",
    resourceType: "case",
    resourceId: id,
    outcome: "SUCCESS",
    fields: ["summary"],
    details: { customerId: c.customerId, channel: c.channel, kind: c.kind, businessLine: c.businessLine, ...(c.linkedCaseId ? { linkedCaseId: c.linkedCaseId } : {}) },
  });
  if (c.recused.length > 0) {
    // Recorded as ids (staff, not customer data): who was kept off the case and why it was not them.
    await addTimelineEvent(uow, id, "RECUSAL", { staffIds: c.recused.join(",") });
    uow.record({ action: "case.recusal", resourceType: "case", resourceId: id, outcome: "SUCCESS", details: { staffIds: c.recused.join(",") } });
  }
  // The case's clocks start at its receipt, in this unit of work (each STARTED is audited with the intake).
  await startCaseClocks(uow, row, receivedAt);
  await recordPlacement(uow, id, placement);
  return toView(row, echoSummary(ability, row, () => c.summary));
}

/** A retry returns the first case; a key reused for a different intake is refused, never merged. */
async function replayIntake(uow: UnitOfWork, cipher: CustomerCipher, earlier: CaseEntity, input: OpenCaseInput): Promise<CaseView> {
  const { ability } = requireActor(uow);
  // The caller may have lost the line since: a replay is a read of the case and obeys its policy.
  if (!canOnRow(ability, "read", "Case", { ...earlier })) {
    uow.recordAttempt({ action: "case.open.replay", resourceType: "case", resourceId: earlier.id, outcome: "DENIED" });
    throw forbidden();
  }
  const dek = await customerDataKey(uow, cipher, earlier.customerId);
  const summary = cipher.openCaseText(dek, earlier.id, "summary", earlier.summaryEnc);
  const recused = [...new Set(input.involvedStaffIds ?? [])].sort();
  const same =
    earlier.customerId === input.customerId &&
    earlier.channel === input.channel &&
    earlier.kind === input.kind &&
    earlier.category === input.category &&
    earlier.complexity === input.complexity &&
    earlier.businessLine === input.businessLine &&
    summary === input.summary &&
    [...earlier.recusedStaffIds].sort().join(",") === recused.join(",");
  // The refusal is audited as the intake's FAILURE (code CONFLICT) by the audited store.
  if (!same) {
    throw caseRule("IDEMPOTENCY_KEY_REUSED", "This idempotency key was used for a different intake");
  }
  uow.record({ action: "case.open.replay", resourceType: "case", resourceId: earlier.id, outcome: "SUCCESS", details: { reference: earlier.reference } });
  return toView(earlier, echoSummary(ability, earlier, () => summary));
}

/** Named staff must exist; unknown ids are refused so a typo never silently leaves someone on the case. */
async function checkStaffIds(uow: UnitOfWork, ids: readonly string[]): Promise<string[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const found: Array<{ id: string }> = await uow.em.query(`SELECT id FROM staff_user WHERE id = ANY($1::uuid[])`, [unique]);
  if (found.length !== unique.length) throw badInput("involvedStaffIds names unknown staff", "involvedStaffIds");
  return unique.sort();
}
