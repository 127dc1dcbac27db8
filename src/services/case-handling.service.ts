// Case handling after intake: the workflow's commands, ownership, the timeline, resolution and survey.
// Each is one unit of work through the audited store, named so that a refusal is audited too.
import type { AwaitingReason, EscalationReason, ReassignmentReason, ReopenReason } from "../domain/case-workflow";
import type { AuditActor, AuditedStore, UnitOfWork } from "../store/audited-store";
import { reassignCase, setOnDuty } from "../store/case-assignment.store";
import { listRootCauses, recordResolution, recordSurvey, type ResolutionDetails } from "../store/case-resolution.store";
import { bareView as bare } from "../store/case-support";
import { addAttachment, readTimeline, recordContact, type AttachmentInput, type ContactInput } from "../store/case-timeline.store";
import { awaitCustomer, closeCase, deescalateCase, escalateCase, reopenCase, resumeWork, startWork } from "../store/case-transition.store";
import type { CustomerCipher } from "../store/customer-cipher";
import { checkAttachment, checkContact, checkResolutionDetails, checkSurvey } from "./case-input";
import { extendCaseDeadline } from "../store/case-clock-hooks";
import type { ExtendRegulatoryInput } from "../store/case-clock.store";
import { badInput } from "../errors";

export class CaseHandlingService {
  constructor(
    private readonly store: AuditedStore,
    private readonly cipher: CustomerCipher,
  ) {}

  private write<T>(actor: AuditActor, action: string, caseId: string, work: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    return this.store.run(actor, { action, resourceType: "case", resourceId: caseId }, work);
  }

  start(actor: AuditActor, caseId: string) {
    return this.write(actor, "case.start", caseId, async (uow) => bare(await startWork(uow, caseId)));
  }

  awaitCustomer(actor: AuditActor, caseId: string, reason: AwaitingReason) {
    return this.write(actor, "case.await_customer", caseId, async (uow) => bare(await awaitCustomer(uow, caseId, reason)));
  }

  resume(actor: AuditActor, caseId: string) {
    return this.write(actor, "case.resume", caseId, async (uow) => bare(await resumeWork(uow, caseId)));
  }

  escalate(actor: AuditActor, caseId: string, reason: EscalationReason) {
    return this.write(actor, "case.escalate", caseId, async (uow) => bare(await escalateCase(uow, caseId, reason)));
  }

  deescalate(actor: AuditActor, caseId: string) {
    return this.write(actor, "case.deescalate", caseId, async (uow) => bare(await deescalateCase(uow, caseId)));
  }

  reassign(actor: AuditActor, caseId: string, assigneeId: string, reason: ReassignmentReason) {
    return this.write(actor, "case.reassign", caseId, async (uow) => bare(await reassignCase(uow, caseId, assigneeId.toLowerCase(), reason)));
  }

  close(actor: AuditActor, caseId: string) {
    return this.write(actor, "case.close", caseId, async (uow) => bare(await closeCase(uow, caseId)));
  }

  /** The reopened case itself, or (after the window) the new case linked to it. */
  reopen(actor: AuditActor, caseId: string, reason: ReopenReason) {
    return this.write(actor, "case.reopen", caseId, async (uow) => {
      const result = await reopenCase(uow, this.cipher, caseId, reason);
      return result.reopened ? bare(result.reopened) : result.followUp;
    });
  }

  /** Team leads: the regulatory decision deadline to 30 or 60 days; the case comes back with its clocks. */
  extendRegulatoryDeadline(actor: AuditActor, caseId: string, input: { toDays: number; reason: string; approverRef?: string | null; customerInformedAt: Date }) {
    if (input.toDays !== 30 && input.toDays !== 60) throw badInput("A regulatory deadline extends to 30 or 60 days", "toDays");
    const clean: ExtendRegulatoryInput = { toDays: input.toDays, reason: input.reason.trim(), approverRef: input.approverRef?.trim() || null, customerInformedAt: input.customerInformedAt };
    return this.write(actor, "case.clock.extended", caseId, async (uow) => {
      const { row, clocks } = await extendCaseDeadline(uow, caseId, clean);
      return { ...bare(row), clocks };
    });
  }

  recordResolution(actor: AuditActor, caseId: string, details: ResolutionDetails) {
    const checked = checkResolutionDetails(details);
    return this.write(actor, "case.resolution.record", caseId, (uow) => recordResolution(uow, this.cipher, caseId, checked));
  }

  recordContact(actor: AuditActor, caseId: string, contact: ContactInput) {
    const checked = checkContact(contact);
    return this.write(actor, "case.contact.record", caseId, (uow) => recordContact(uow, this.cipher, caseId, checked));
  }

  addAttachment(actor: AuditActor, caseId: string, attachment: AttachmentInput) {
    const checked = checkAttachment(attachment);
    return this.write(actor, "case.attachment.add", caseId, (uow) => addAttachment(uow, this.cipher, caseId, checked));
  }

  recordSurvey(actor: AuditActor, caseId: string, score: number, comment: string | null | undefined) {
    const checked = checkSurvey(score, comment);
    return this.write(actor, "case.survey.record", caseId, (uow) => recordSurvey(uow, this.cipher, caseId, checked.score, checked.comment));
  }

  timeline(actor: AuditActor, caseId: string) {
    return this.store.run(actor, null, (uow) => readTimeline(uow, this.cipher, caseId));
  }

  rootCauses(actor: AuditActor) {
    return this.store.run(actor, null, (uow) => listRootCauses(uow));
  }

  setOnDuty(actor: AuditActor, staffId: string, onDuty: boolean) {
    return this.store.run(actor, { action: "staff.duty", resourceType: "staff_user", resourceId: staffId }, (uow) => setOnDuty(uow, staffId.toLowerCase(), onDuty));
  }
}
