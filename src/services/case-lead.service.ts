// Team-lead views (issue 7, item 8): argument checks, then one audited unit of work each.
import type { BusinessLine } from "../domain/enums";
import { badInput } from "../errors";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import { agentWorkload, casesDueWithin, MAX_DUE_WITHIN_HOURS, openCasesByClockState } from "../store/case-lead.store";

const MAX_CASES_PER_STATE = 200;

export class CaseLeadService {
  constructor(private readonly store: AuditedStore) {}

  openCasesByClockState(actor: AuditActor, businessLine: BusinessLine | null, casesPerState = 50) {
    if (!Number.isInteger(casesPerState) || casesPerState < 0 || casesPerState > MAX_CASES_PER_STATE) {
      throw badInput(`casesPerState must be 0 to ${MAX_CASES_PER_STATE}`, "casesPerState");
    }
    return this.store.run(actor, null, (uow) => openCasesByClockState(uow, businessLine, casesPerState));
  }

  agentWorkload(actor: AuditActor, businessLine: BusinessLine | null) {
    return this.store.run(actor, null, (uow) => agentWorkload(uow, businessLine));
  }

  casesDueWithin(actor: AuditActor, hours: number) {
    if (!Number.isInteger(hours) || hours < 1 || hours > MAX_DUE_WITHIN_HOURS) throw badInput(`hours must be 1 to ${MAX_DUE_WITHIN_HOURS}`, "hours");
    return this.store.run(actor, null, (uow) => casesDueWithin(uow, hours));
  }
}
