// The audit log's readers: compliance and security query the trail and verify the chain; each query is
// itself recorded.
import type { SealedAuditEvent } from "../audit/core";
import { AUDIT_SELECT, rowToSealedEvent, type AuditEventRow } from "../audit/append";
import type { AuditLogReport } from "../audit/verify-log";
import type { CheckpointService } from "./checkpoint.service";
import { forbidden } from "../errors";
import type { AuditActor, AuditedStore, UnitOfWork } from "../store/audited-store";
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from "../store/paging";
import { assertTrailStrings, trailConditions, type TrailFilter } from "../store/audit-trail-filter";
import { requireActor } from "../store/store-support";

export type AuditTrailFilter = TrailFilter;

function assertMayRead(uow: UnitOfWork, action: string): void {
  const { ability } = requireActor(uow);
  if (!ability.can("read", "AuditEvent")) {
    uow.recordAttempt({ action, resourceType: "audit", resourceId: null, outcome: "DENIED" });
    throw forbidden();
  }
}

export class AuditService {
  constructor(
    private readonly store: AuditedStore,
    private readonly checkpoints: CheckpointService,
  ) {}

  trail(actor: AuditActor, filter: AuditTrailFilter, page: PageRequest): Promise<Page<SealedAuditEvent>> {
    assertTrailStrings(filter);
    return this.store.run(actor, null, async (uow) => {
      assertMayRead(uow, "audit.query");
      const size = pageSize(page.first);
      const after = decodeCursor(page.after, "number");
      const params: unknown[] = [];
      const where = trailConditions(filter, params);
      const condition = where.length ? `WHERE ${where.join(" AND ")}` : "";
      const [{ count }] = await uow.em.query(`SELECT count(*)::int AS count FROM audit_event ${condition}`, params);
      const pageCondition = after ? `${condition ? `${condition} AND` : "WHERE"} seq > $${params.length + 1}` : condition;
      const rows: AuditEventRow[] = await uow.em.query(
        `${AUDIT_SELECT} ${pageCondition} ORDER BY seq LIMIT ${size + 1}`,
        after ? [...params, after[0]] : params,
      );
      uow.record({
        action: "audit.query",
        resourceType: "audit",
        resourceId: null,
        outcome: "SUCCESS",
        fields: Object.entries(filter).filter(([, v]) => v !== null && v !== undefined).map(([k]) => k),
        details: { returned: Math.min(rows.length, size) },
      });
      return toPage(rows, size, count, rowToSealedEvent, (r) => [Number(r.seq), ""]);
    });
  }

  /** The chain and every signed checkpoint, database and outside copies (docs/audit-checkpoints.md). */
  verify(actor: AuditActor, opts: { sinceCheckpoint?: boolean } = {}): Promise<AuditLogReport> {
    return this.store.run(actor, null, async (uow) => {
      assertMayRead(uow, "audit.verify");
      const report = await this.checkpoints.verify(uow.em, opts);
      uow.record({
        action: "audit.verify",
        resourceType: "audit",
        resourceId: null,
        outcome: "SUCCESS",
        details: { ok: report.ok, checked: report.checked, firstBadSeq: report.firstBadSeq, checkpointsChecked: report.checkpointsChecked },
      });
      return report;
    });
  }
}
