// Quality alerts (docs/service-quality.md): one row per metric, period and cut whose target was BREACHED,
// raised once (the unique key and ON CONFLICT DO NOTHING make a second computation a no-op), listed and
// acknowledged by compliance. Rows hold metric names, instants, counts and a cut value; no PII.
import type { QualityMetric } from "../domain/quality-metrics";
import { conflict, forbidden, notFound } from "../errors";
import type { UnitOfWork } from "./audited-store";
import { qualityAbility, type QualityResult } from "./quality-metrics.store";
import { isUuid, requireActor } from "./store-support";

export interface QualityAlertView {
  id: string;
  metric: QualityMetric;
  periodFrom: Date;
  periodTo: Date;
  cutKind: string;
  cutValue: string;
  numerator: number;
  denominator: number;
  value: number;
  target: number;
  status: string;
  raisedAt: Date;
  acknowledgedBy: string | null;
  acknowledgedAt: Date | null;
}

function view(r: Record<string, any>): QualityAlertView {
  return {
    id: r.id,
    metric: r.metric,
    periodFrom: new Date(r.period_from),
    periodTo: new Date(r.period_to),
    cutKind: r.cut_kind,
    cutValue: r.cut_value,
    numerator: Number(r.numerator),
    denominator: Number(r.denominator),
    value: Number(r.value),
    target: Number(r.target),
    status: r.status,
    raisedAt: new Date(r.raised_at),
    acknowledgedBy: r.acknowledged_by ?? null,
    acknowledgedAt: r.acknowledged_at ? new Date(r.acknowledged_at) : null,
  };
}

function requireOn(uow: UnitOfWork, action: "read" | "create" | "update", audit: string, resourceId: string | null = null) {
  const actor = requireActor(uow);
  if (!actor.ability.can(action, "QualityAlert")) {
    uow.recordAttempt({ action: audit, resourceType: "quality_alert", resourceId, outcome: "DENIED" });
    throw forbidden();
  }
  return actor;
}

/** Inserts an alert for each BREACHED metric of `result` not raised before; returns the new ones. */
export async function raiseQualityAlerts(uow: UnitOfWork, result: QualityResult): Promise<QualityAlertView[]> {
  // A person (compliance) or the scheduled evaluation (no principal: raised_by stays NULL).
  if (!qualityAbility(uow).can("create", "QualityAlert")) {
    uow.recordAttempt({ action: "quality.alert.raise", resourceType: "quality_alert", resourceId: null, outcome: "DENIED" });
    throw forbidden();
  }
  const raisedBy = uow.actor.principal?.id ?? null;
  const raised: QualityAlertView[] = [];
  for (const g of result.groups) {
    for (const m of g.metrics) {
      if (m.status !== "BREACHED" || m.value === null) continue;
      const rows: Array<Record<string, unknown>> = await uow.em.query(
        `INSERT INTO quality_alert (metric, period_from, period_to, cut_kind, cut_value, numerator, denominator, value, target, status, raised_at, raised_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'BREACHED', $10, $11)
         ON CONFLICT ON CONSTRAINT quality_alert_key DO NOTHING
         RETURNING *`,
        [m.metric, result.from, result.to, result.cut, g.cutValue, m.numerator, m.denominator, m.value, m.target, uow.now, raisedBy],
      );
      for (const r of rows) raised.push(view(r));
    }
  }
  for (const a of raised) {
    uow.record({ action: "quality.alert.raise", resourceType: "quality_alert", resourceId: a.id, outcome: "SUCCESS", details: { metric: a.metric, cutKind: a.cutKind } });
  }
  return raised;
}

export async function listQualityAlerts(uow: UnitOfWork, acknowledged: boolean | null): Promise<QualityAlertView[]> {
  requireOn(uow, "read", "quality.alert.read");
  const rows: Array<Record<string, unknown>> = await uow.em.query(
    `SELECT * FROM quality_alert
      WHERE ($1::boolean IS NULL OR (acknowledged_at IS NOT NULL) = $1::boolean)
      ORDER BY raised_at DESC, id LIMIT 500`,
    [acknowledged],
  );
  const alerts = rows.map(view);
  for (const a of alerts) uow.record({ action: "quality.alert.read", resourceType: "quality_alert", resourceId: a.id, outcome: "SUCCESS" });
  if (alerts.length === 0) uow.record({ action: "quality.alert.read", resourceType: "quality_alert", resourceId: null, outcome: "SUCCESS" });
  return alerts;
}

export async function acknowledgeQualityAlert(uow: UnitOfWork, id: string): Promise<QualityAlertView> {
  const { principal } = requireOn(uow, "update", "quality.alert.acknowledge", isUuid(id) ? id : null);
  if (!isUuid(id)) throw notFound("Quality alert");
  const rows: Array<Record<string, unknown>> = await uow.em.query(`SELECT * FROM quality_alert WHERE id = $1 FOR UPDATE`, [id]);
  if (rows.length === 0) {
    uow.recordAttempt({ action: "quality.alert.acknowledge", resourceType: "quality_alert", resourceId: id, outcome: "NOT_FOUND" });
    throw notFound("Quality alert");
  }
  if (rows[0].acknowledged_at) throw conflict("the alert is already acknowledged");
  // UPDATE through TypeORM returns [rows, count]: read the row back instead.
  await uow.em.query(`UPDATE quality_alert SET acknowledged_by = $2, acknowledged_at = $3 WHERE id = $1`, [id, principal.id, uow.now]);
  const [updated]: Array<Record<string, unknown>> = await uow.em.query(`SELECT * FROM quality_alert WHERE id = $1`, [id]);
  uow.record({ action: "quality.alert.acknowledge", resourceType: "quality_alert", resourceId: id, outcome: "SUCCESS" });
  return view(updated);
}
