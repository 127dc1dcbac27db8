// The control programme (issue 8, item 4): input rules here, one audited unit of work per operation in
// src/store/control-*.store.ts. Staff-written text is checked but never logged or quoted in errors.
import type { Clock } from "../clock";
import {
  checkDueAt,
  checkEvidenceReference,
  cleanText,
  DEFAULT_SUGGESTION_REVIEW_DAYS,
  MAX_ACTION_ITEMS,
  MAX_ATTENDEES,
  MAX_DECISIONS,
  MAX_MILESTONES,
  type ControlItemStatus,
  type ControlMeasureStatus,
  type SuggestionDecision,
  type SuggestionStatus,
} from "../domain/control-programme";
import { badInput } from "../errors";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import { addEvidence, addMilestone, createMeasure, listMeasures, setMilestoneStatus, updateMeasure, type ControlMeasurePatch } from "../store/control-measure.store";
import { listActionItems, listMeetings, recordMeeting, setActionItemStatus } from "../store/control-meeting.store";
import { overdueControlItems } from "../store/control-overdue.store";
import { listSuggestions, reviewSuggestion, submitSuggestion } from "../store/control-suggestion.store";

export interface ControlProgrammeOptions {
  /** Days a suggestion may wait for its review before it counts as overdue (default 14). */
  suggestionReviewDays?: number;
}

function milestoneInput(m: { title: string; dueAt: Date }) {
  return { title: cleanText(m.title, "title", 200), dueAt: checkDueAt(m.dueAt) };
}

export class ControlProgrammeService {
  readonly suggestionReviewDays: number;

  constructor(
    private readonly store: AuditedStore,
    private readonly clock: Clock,
    options: ControlProgrammeOptions = {},
  ) {
    const days = options.suggestionReviewDays ?? DEFAULT_SUGGESTION_REVIEW_DAYS;
    if (!Number.isInteger(days) || days < 1 || days > 365) throw new TypeError("suggestionReviewDays must be an integer from 1 to 365");
    this.suggestionReviewDays = days;
  }

  createMeasure(actor: AuditActor, input: { title: string; objective: string; ownerId: string; milestones?: ReadonlyArray<{ title: string; dueAt: Date }> | null }) {
    const milestones = (input.milestones ?? []).map(milestoneInput);
    if (milestones.length > MAX_MILESTONES) throw badInput(`at most ${MAX_MILESTONES} milestones`, "milestones");
    const clean = { title: cleanText(input.title, "title", 200), objective: cleanText(input.objective, "objective", 4000), ownerId: input.ownerId, milestones };
    return this.store.run(actor, { action: "control.measure.create", resourceType: "control_measure" }, (uow) => createMeasure(uow, clean));
  }

  updateMeasure(actor: AuditActor, id: string, input: { title?: string | null; objective?: string | null; ownerId?: string | null; status?: ControlMeasureStatus | null }) {
    const patch: ControlMeasurePatch = {};
    if (input.title != null) patch.title = cleanText(input.title, "title", 200);
    if (input.objective != null) patch.objective = cleanText(input.objective, "objective", 4000);
    if (input.ownerId != null) patch.ownerId = input.ownerId;
    if (input.status != null) patch.status = input.status;
    if (Object.keys(patch).length === 0) throw badInput("nothing to update", "input");
    return this.store.run(actor, { action: "control.measure.update", resourceType: "control_measure", resourceId: id }, (uow) => updateMeasure(uow, id, patch));
  }

  addMilestone(actor: AuditActor, measureId: string, input: { title: string; dueAt: Date }) {
    const clean = milestoneInput(input);
    return this.store.run(actor, { action: "control.milestone.add", resourceType: "control_measure", resourceId: measureId }, (uow) => addMilestone(uow, measureId, clean));
  }

  setMilestoneStatus(actor: AuditActor, milestoneId: string, status: ControlItemStatus) {
    return this.store.run(actor, { action: "control.milestone.status", resourceType: "control_milestone", resourceId: milestoneId }, (uow) => setMilestoneStatus(uow, milestoneId, status));
  }

  addEvidence(actor: AuditActor, measureId: string, reference: string) {
    const ref = checkEvidenceReference(reference);
    return this.store.run(actor, { action: "control.evidence.add", resourceType: "control_measure", resourceId: measureId }, (uow) => addEvidence(uow, measureId, ref));
  }

  listMeasures(actor: AuditActor, filter: { status?: ControlMeasureStatus | null; ownerId?: string | null }) {
    return this.store.run(actor, null, (uow) => listMeasures(uow, { status: filter.status ?? null, ownerId: filter.ownerId ?? null }));
  }

  recordMeeting(
    actor: AuditActor,
    input: { title: string; heldAt: Date; attendeeIds: readonly string[]; decisions?: readonly string[] | null; actionItems?: ReadonlyArray<{ title: string; ownerId: string; dueAt: Date }> | null },
  ) {
    const decisions = (input.decisions ?? []).map((d) => cleanText(d, "decisions", 2000));
    const actionItems = (input.actionItems ?? []).map((i) => ({ title: cleanText(i.title, "title", 500), ownerId: i.ownerId, dueAt: checkDueAt(i.dueAt) }));
    if (input.attendeeIds.length === 0 || input.attendeeIds.length > MAX_ATTENDEES) throw badInput(`1 to ${MAX_ATTENDEES} attendees`, "attendeeIds");
    if (decisions.length > MAX_DECISIONS) throw badInput(`at most ${MAX_DECISIONS} decisions`, "decisions");
    if (actionItems.length > MAX_ACTION_ITEMS) throw badInput(`at most ${MAX_ACTION_ITEMS} action items`, "actionItems");
    const clean = { title: cleanText(input.title, "title", 200), heldAt: checkDueAt(input.heldAt, "heldAt"), attendeeIds: input.attendeeIds, decisions, actionItems };
    // A meeting is recorded after it was held: one in the future is a typing error.
    if (clean.heldAt.getTime() > this.clock.now().getTime()) throw badInput("heldAt is in the future", "heldAt");
    return this.store.run(actor, { action: "control.meeting.record", resourceType: "control_meeting" }, (uow) => recordMeeting(uow, clean));
  }

  listMeetings(actor: AuditActor, range: { from?: Date | null; to?: Date | null }) {
    return this.store.run(actor, null, (uow) => listMeetings(uow, { from: range.from ?? null, to: range.to ?? null }));
  }

  listActionItems(actor: AuditActor, status: ControlItemStatus | null) {
    return this.store.run(actor, null, (uow) => listActionItems(uow, { status }));
  }

  setActionItemStatus(actor: AuditActor, id: string, status: ControlItemStatus) {
    return this.store.run(actor, { action: "control.action_item.status", resourceType: "control_action_item", resourceId: id }, (uow) => setActionItemStatus(uow, id, status));
  }

  submitSuggestion(actor: AuditActor, text: string) {
    const clean = cleanText(text, "text", 4000);
    return this.store.run(actor, { action: "control.suggestion.submit", resourceType: "improvement_suggestion" }, (uow) => submitSuggestion(uow, clean));
  }

  reviewSuggestion(actor: AuditActor, id: string, decision: SuggestionDecision, note: string | null) {
    const clean = note == null || note.trim() === "" ? null : cleanText(note, "note", 2000);
    return this.store.run(actor, { action: "control.suggestion.review", resourceType: "improvement_suggestion", resourceId: id }, (uow) => reviewSuggestion(uow, id, decision, clean));
  }

  listSuggestions(actor: AuditActor, status: SuggestionStatus | null) {
    return this.store.run(actor, null, (uow) => listSuggestions(uow, { status }));
  }

  /** Overdue as of `asOf` (default: now by the injected clock). */
  overdue(actor: AuditActor, asOf: Date | null) {
    const at = asOf ?? this.clock.now();
    if (Number.isNaN(at.getTime())) throw badInput("asOf must be an instant", "asOf");
    return this.store.run(actor, null, (uow) => overdueControlItems(uow, at, this.suggestionReviewDays));
  }
}
