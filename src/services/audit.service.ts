// The audit log's readers: compliance and security query the trail and verify the chain; each query is
// itself recorded.
import type { SealedAuditEvent } from "../audit/core";
import { AUDIT_SELECT, rowToSealedEvent, type AuditEventRow } from "../audit/append";
import type { AuditLogReport } from "../audit/verify-log";
import type { CheckpointService } from "./checkpoint.service";
import { badInput, forbidden } from "../errors";
import type { AuditActor, AuditedStore, UnitOfWork } from "../store/audited-store";
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from "../store/paging";
import { isUuid, requireActor } from "../store/store-support";

export interface AuditTrailFilter {
  resourceType?: string | null;
  resourceId?: string | null;
  actorId?: string | null;
  action?: string | null;
  from?: Date | null;
  to?: Date | null;
}

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
    for (const key of ["resourceType", "resourceId", "actorId", "action"] as const) {
      const value = filter[key];
      if (typeof value === "string" && (value.length > 200 || /[\u0000-\u001f\u007f]/.test(value))) {
        throw badInput(`${key} must be at most 200 printable characters`, key);
      }
    }
    return this.store.run(actor, null, async (uow) => {
      assertMayRead(uow, "audit.query");
      const size = pageSize(page.first);
      const after = decodeCursor(page.after, "number");
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, value: unknown) => {
        params.push(value);
        where.push(sql.replace("?", `$${params.length}`));
      };
      if (filter.resourceType) add("resource_type = ?", filter.resourceType);
      if (filter.resourceId) add("resource_id = ?", filter.resourceId);
      // A malformed actor id matches nothing rather than raising a cast error.
      if (filter.actorId) add("actor_id = ?", isUuid(filter.actorId) ? filter.actorId : null);
      if (filter.action) add("action = ?", filter.action);
      if (filter.from) add("occurred_at >= ?", filter.from);
      if (filter.to) add("occurred_at < ?", filter.to);
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
