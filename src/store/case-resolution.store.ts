// Resolution (outcome, root cause, redress, the customer's acceptance, the final response) and the one
// satisfaction survey of a closed case; the free-text parts are encrypted under the customer's key.
import type { ResolutionOutcome } from "../domain/case-resolution";
import type { CaseEntity } from "../entities";
import { badInput, forbidden } from "../errors";
import type { UnitOfWork } from "./audited-store";
import { addTimelineEvent, caseRule, customerDataKey, echoSummary, loadCaseFor, setStatus, toView, type CaseSurveyView, type CaseView } from "./case-support";
import { applyTransition } from "./case-transition.store";
import { stopCaseClocks } from "./case-clock-hooks";
import type { CustomerCipher } from "./customer-cipher";
import { requireActor } from "./store-support";

export interface ResolutionDetails {
  outcome?: ResolutionOutcome | null;
  rootCauseCode?: string | null;
  /** Decimal string, 2 places at most; with redressCurrency. */
  redressAmount?: string | null;
  redressCurrency?: string | null;
  customerAccepted?: boolean | null;
  finalResponseSentAt?: Date | null;
}

export async function resolveCase(uow: UnitOfWork, cipher: CustomerCipher, caseId: string, resolution: string, details: ResolutionDetails = {}): Promise<CaseView> {
  const { ability } = requireActor(uow);
  const row = await loadCaseFor(uow, caseId, "update", "case.resolve");
  const dek = await customerDataKey(uow, cipher, row.customerId);
  const changes = await resolutionChanges(uow, row, details);
  await applyTransition(uow, row, "resolve", { outcome: changes.resolutionOutcome ?? null, rootCauseCode: changes.rootCauseCode ?? null }, {
    ...changes,
    resolvedAt: uow.now,
    resolutionEnc: cipher.sealCaseText(dek, row.id, "resolution", resolution),
  }, ["status", "resolution", ...Object.keys(changes)]);
  // Resolved: the resolution clock is met now; a final response sent ends the regulatory decision clock.
  await stopCaseClocks(uow, row.id, ["RESOLUTION"]);
  if (row.finalResponseSentAt) await stopCaseClocks(uow, row.id, ["REGULATORY_DECISION"], row.finalResponseSentAt);
  return toView(row, echoSummary(ability, row, () => cipher.openCaseText(dek, row.id, "summary", row.summaryEnc)));
}

/** Completes or corrects the resolution of a RESOLVED case (what closing requires). */
export async function recordResolution(uow: UnitOfWork, cipher: CustomerCipher, caseId: string, details: ResolutionDetails): Promise<CaseView> {
  const { ability } = requireActor(uow);
  const row = await loadCaseFor(uow, caseId, "update", "case.resolution.record");
  if (row.status !== "RESOLVED") throw caseRule("CASE_NOT_RESOLVED", `A ${row.status} case has no resolution to record`, { from: row.status });
  const changes = await resolutionChanges(uow, row, details);
  if (Object.keys(changes).length === 0) throw badInput("Nothing to record", "input");
  const hadFinalResponse = row.finalResponseSentAt !== null;
  await setStatus(uow, row, row.status, changes);
  await addTimelineEvent(uow, row.id, "RESOLUTION_RECORDED", { fields: Object.keys(changes).join(",") });
  uow.record({ action: "case.resolution.record", resourceType: "case", resourceId: row.id, outcome: "SUCCESS", fields: Object.keys(changes), details: auditOf(changes) });
  if (!hadFinalResponse && row.finalResponseSentAt) {
    // The final response ends the regulatory decision clock at its sent time.
    await stopCaseClocks(uow, row.id, ["REGULATORY_DECISION"], row.finalResponseSentAt);
  }
  const dek = await customerDataKey(uow, cipher, row.customerId);
  return toView(row, echoSummary(ability, row, () => cipher.openCaseText(dek, row.id, "summary", row.summaryEnc)));
}

/** Checks the details against the code list and the case's own times; returns the column changes. */
async function resolutionChanges(uow: UnitOfWork, row: CaseEntity, d: ResolutionDetails): Promise<Partial<CaseEntity>> {
  const changes: Partial<CaseEntity> = {};
  if (d.outcome) changes.resolutionOutcome = d.outcome;
  if (d.rootCauseCode) {
    const [code] = await uow.em.query(`SELECT code FROM root_cause_code WHERE code = $1 AND active`, [d.rootCauseCode]);
    if (!code) throw badInput("rootCauseCode is not on the root-cause list", "rootCauseCode");
    changes.rootCauseCode = code.code;
  }
  if ((d.redressAmount ?? null) !== null || (d.redressCurrency ?? null) !== null) {
    if (!d.redressAmount || !d.redressCurrency) throw badInput("redressAmount and redressCurrency go together", "redressAmount");
    changes.redressAmount = d.redressAmount;
    changes.redressCurrency = d.redressCurrency;
  }
  if (d.customerAccepted !== undefined && d.customerAccepted !== null) changes.customerAccepted = d.customerAccepted;
  if (d.finalResponseSentAt) {
    if (d.finalResponseSentAt.getTime() > uow.now.getTime()) throw badInput("finalResponseSentAt is in the future", "finalResponseSentAt");
    if (d.finalResponseSentAt.getTime() < row.receivedAt.getTime()) throw badInput("finalResponseSentAt is before the case was received", "finalResponseSentAt");
    changes.finalResponseSentAt = d.finalResponseSentAt;
  }
  return changes;
}

function auditOf(changes: Partial<CaseEntity>): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  if (changes.resolutionOutcome) out.outcome = changes.resolutionOutcome;
  if (changes.rootCauseCode) out.rootCauseCode = changes.rootCauseCode;
  if (changes.redressAmount) out.redress = `${changes.redressAmount} ${changes.redressCurrency}`;
  if (changes.customerAccepted !== undefined && changes.customerAccepted !== null) out.customerAccepted = changes.customerAccepted;
  if (changes.finalResponseSentAt) out.finalResponseSentAt = changes.finalResponseSentAt.toISOString();
  return out;
}

/** Once per case, after it closed; the primary key refuses a second survey even under a race. */
export async function recordSurvey(uow: UnitOfWork, cipher: CustomerCipher, caseId: string, score: number, comment: string | null): Promise<CaseSurveyView> {
  const { principal } = requireActor(uow);
  const row = await loadCaseFor(uow, caseId, "survey", "case.survey.record");
  if (row.status !== "CLOSED") throw caseRule("CASE_NOT_CLOSED", "A survey is recorded after the case is closed", { from: row.status });
  const dek = comment ? await customerDataKey(uow, cipher, row.customerId) : null;
  const inserted: unknown[] = await uow.em.query(
    `INSERT INTO case_survey (case_id, score, comment_enc, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (case_id) DO NOTHING RETURNING case_id`,
    [row.id, score, dek && comment ? cipher.sealCaseText(dek, row.id, "survey", comment) : null, principal.id, uow.now],
  );
  if (inserted.length === 0) throw caseRule("SURVEY_ALREADY_RECORDED", "This case's survey has already been recorded");
  await addTimelineEvent(uow, row.id, "SURVEY_RECORDED", { score });
  uow.record({ action: "case.survey.record", resourceType: "case", resourceId: row.id, outcome: "SUCCESS", fields: comment ? ["survey"] : [], details: { score } });
  return { score, comment, recordedAt: uow.now };
}

/** For whoever works with cases; the list holds no customer data, so reading it is not audited. */
export async function listRootCauses(uow: UnitOfWork): Promise<Array<{ code: string; description: string }>> {
  const { ability } = requireActor(uow);
  if (!ability.can("read", "Case")) throw forbidden();
  return uow.em.query(`SELECT code, description FROM root_cause_code WHERE active ORDER BY code`);
}

