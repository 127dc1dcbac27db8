// Service quality (docs/service-quality.md): periods from dates or instants, the metrics computed in a
// read-only unit, then any breach raised as an alert in a separate write unit (compliance only); the
// alerts listed and acknowledged.
import { checkPeriod, dayPeriod, type QualityMetric } from "../domain/quality-metrics";
import { badInput } from "../errors";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import { acknowledgeQualityAlert, listQualityAlerts, raiseQualityAlerts, type QualityAlertView } from "../store/quality-alert.store";
import { computeServiceQuality, type MetricValue, type QualityCut, type QualityGroup, type QualityResult } from "../store/quality-metrics.store";

const FIELD_OF: Record<QualityMetric, string> = {
  FIRST_RESPONSE_ON_TIME: "firstResponseOnTime",
  RESOLUTION_ON_TIME: "resolutionOnTime",
  REGULATORY_DEADLINE_COMPLIANCE: "regulatoryDeadlineCompliance",
  SATISFACTION_RATE: "satisfactionRate",
  REOPEN_RATE: "reopenRate",
  REPEAT_COMPLAINT_RATE: "repeatComplaintRate",
  CHURN_RATE: "churnRate",
};

/** The group as GraphQL shows it: its metrics keyed by name. */
function shapeGroup(g: QualityGroup): Omit<QualityGroup, "metrics"> & { metrics: Record<string, MetricValue> } {
  return { ...g, metrics: Object.fromEntries(g.metrics.map((m) => [FIELD_OF[m.metric], m])) };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
// An instant must carry its offset: a bare local time would silently mean the server's zone.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A bound: a calendar day (its local midnight in `timeZone`) or an ISO instant with an offset. */
export function parseBound(value: string, timeZone: string, field: "from" | "to"): Date {
  if (DAY.test(value)) {
    try {
      return dayPeriod(value, timeZone).from;
    } catch {
      throw badInput(`${field} is not a valid day`, field);
    }
  }
  if (!INSTANT.test(value) || Number.isNaN(Date.parse(value))) throw badInput(`${field} must be YYYY-MM-DD or an ISO 8601 instant with an offset`, field);
  return new Date(value);
}

export function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone }).format(0);
  } catch {
    throw badInput("timeZone must be an IANA time zone", "timeZone");
  }
}

export interface ServiceQualityReport extends Omit<QualityResult, "groups"> {
  groups: Array<ReturnType<typeof shapeGroup>>;
  timeZone: string;
  /** Alerts this computation raised (breaches not raised before for the same metric, period and cut). */
  alertsRaised: number;
}

export class QualityMetricsService {
  constructor(private readonly store: AuditedStore) {}

  async serviceQuality(actor: AuditActor, args: { from: string; to: string; cut: QualityCut; timeZone?: string | null }): Promise<ServiceQualityReport> {
    const timeZone = args.timeZone ?? "UTC";
    checkTimeZone(timeZone);
    const from = parseBound(args.from, timeZone, "from");
    const to = parseBound(args.to, timeZone, "to");
    try {
      checkPeriod(from, to);
    } catch {
      throw badInput("a period needs from < to", "to");
    }
    const result = await this.store.run(actor, null, (uow) => computeServiceQuality(uow, from, to, args.cut));
    let raised: QualityAlertView[] = [];
    // Alerts are compliance's, and only a whole-bank scope gives figures that stand for the cut value.
    const breached = result.groups.some((g) => g.metrics.some((m) => m.status === "BREACHED"));
    if (breached && result.unrestricted && actor.ability?.can("create", "QualityAlert")) {
      raised = await this.store.run(actor, { action: "quality.alert.raise", resourceType: "quality_alert" }, (uow) => raiseQualityAlerts(uow, result));
    }
    return { ...result, groups: result.groups.map(shapeGroup), timeZone, alertsRaised: raised.length };
  }

  alerts(actor: AuditActor, acknowledged: boolean | null): Promise<QualityAlertView[]> {
    return this.store.run(actor, null, (uow) => listQualityAlerts(uow, acknowledged));
  }

  acknowledge(actor: AuditActor, id: string): Promise<QualityAlertView> {
    return this.store.run(actor, { action: "quality.alert.acknowledge", resourceType: "quality_alert", resourceId: id }, (uow) => acknowledgeQualityAlert(uow, id));
  }
}
