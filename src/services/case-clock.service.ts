// Service-clock use cases on one case: authorise the caller on that case, then the clock hook, in one
// audited unit of work. The case workflow calls the same hooks (src/store/case-clock.store.ts) from its
// own units of work; this service is the direct entry for reads, extensions and tests.
import type { BusinessLine, CaseKind, Complexity } from "../domain/enums";
import type { ClockKind, ClockState } from "../domain/service-clocks";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import { authorizeClockCase } from "../store/case-clock-access.store";
import {
  extendRegulatoryClock,
  loadClockStates,
  pauseClocks,
  resumeClocks,
  startClocks,
  stopClock,
  type ExtendRegulatoryInput,
} from "../store/case-clock.store";

export class CaseClockService {
  constructor(private readonly store: AuditedStore) {}

  start(actor: AuditActor, caseId: string): Promise<ClockState[]> {
    return this.store.run(actor, { action: "case.clock.started", resourceType: "case", resourceId: caseId }, async (uow) => {
      const row = await authorizeClockCase(uow, caseId, "update", "case.clock.started");
      return startClocks(uow, caseId, row.kind as CaseKind, row.complexity as Complexity, row.businessLine as BusinessLine);
    });
  }

  pause(actor: AuditActor, caseId: string, reason: string): Promise<ClockState[]> {
    return this.store.run(actor, { action: "case.clock.paused", resourceType: "case", resourceId: caseId }, async (uow) => {
      await authorizeClockCase(uow, caseId, "update", "case.clock.paused");
      return pauseClocks(uow, caseId, reason);
    });
  }

  resume(actor: AuditActor, caseId: string): Promise<ClockState[]> {
    return this.store.run(actor, { action: "case.clock.resumed", resourceType: "case", resourceId: caseId }, async (uow) => {
      await authorizeClockCase(uow, caseId, "update", "case.clock.resumed");
      return resumeClocks(uow, caseId);
    });
  }

  stop(actor: AuditActor, caseId: string, clockKind: ClockKind): Promise<ClockState[]> {
    return this.store.run(actor, { action: "case.clock.stopped", resourceType: "case", resourceId: caseId }, async (uow) => {
      await authorizeClockCase(uow, caseId, "update", "case.clock.stopped");
      return stopClock(uow, caseId, clockKind);
    });
  }

  extendRegulatory(actor: AuditActor, caseId: string, input: ExtendRegulatoryInput): Promise<ClockState[]> {
    return this.store.run(actor, { action: "case.clock.extended", resourceType: "case", resourceId: caseId }, async (uow) => {
      await authorizeClockCase(uow, caseId, "extend", "case.clock.extended");
      return extendRegulatoryClock(uow, caseId, input);
    });
  }

  /** The case's clocks now; a read of the case, audited as such. */
  states(actor: AuditActor, caseId: string): Promise<ClockState[]> {
    return this.store.run(actor, null, async (uow) => {
      await authorizeClockCase(uow, caseId, "read", "case.clocks.read");
      const states = (await loadClockStates(uow, [caseId])).get(caseId) ?? [];
      uow.record({ action: "case.clocks.read", resourceType: "case", resourceId: caseId, outcome: "SUCCESS", fields: ["clocks"] });
      return states;
    });
  }
}
