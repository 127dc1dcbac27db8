// Reports for the people who read the audit log: the trail as CSV / JSON lines for compliance, and the
// access, denied-access and unusual-access reports for security. Each run is itself an `audit.report`
// event naming the report and the parameters given (names only: their values may identify a customer).
import type { SealedAuditEvent } from "../audit/core";
import { renderExport, type ExportFormat } from "../audit/export-format";
import type { WorkingHours } from "../config";
import { DAY_MS } from "../clock";
import { badInput, forbidden } from "../errors";
import {
  assertTrailFilter,
  selectCustomerAccess,
  selectDeniedCounts,
  selectDeniedEvents,
  selectHeadSeq,
  selectOutsideWorkingHours,
  selectTrailBatch,
  selectUnrelatedReads,
  selectVolumeAboveBaseline,
  type AccessRow,
  type DeniedCount,
  type FindingBase,
  type TrailFilter,
} from "../store/audit-report.store";
import type { AuditActor, AuditedStore, UnitOfWork } from "../store/audited-store";
import { isUuid, requireActor } from "../store/store-support";

export const EXPORT_DEFAULT_ROWS = 10_000;
/** Larger exports go through `custos audit export`, which streams in keyset batches. */
export const EXPORT_MAX_ROWS = 50_000;
export const REPORT_MAX_ROWS = 10_000;
export const REPORT_MAX_DAYS = 366;

export type ReportName = "auditTrailExport" | "accessReport" | "deniedAccess" | "unusualAccess";

export interface TrailExport {
  format: ExportFormat;
  rowCount: number;
  truncated: boolean;
  lastSeq: number | null;
  content: string;
}

export interface AccessReport {
  customerId: string;
  from: Date;
  to: Date;
  entries: AccessRow[];
  truncated: boolean;
}

export interface DeniedAccessReport {
  from: Date;
  to: Date;
  byActor: DeniedCount[];
  events: SealedAuditEvent[];
  truncated: boolean;
}

export type UnusualAccessKind = "UNRELATED_CUSTOMER" | "VOLUME_ABOVE_BASELINE" | "OUTSIDE_WORKING_HOURS";

export interface UnusualAccessFinding extends FindingBase {
  kind: UnusualAccessKind;
  customerId: string | null;
  day: string | null;
  baselineCount: number | null;
  threshold: number | null;
}

export interface UnusualAccessReport {
  from: Date;
  to: Date;
  findings: UnusualAccessFinding[];
}

/** The names of the parameters the caller actually gave: what the audit.report event lists. */
function givenNames(params: Record<string, unknown>): string[] {
  return Object.entries(params)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k]) => k)
    .sort();
}

function assertWindow(from: Date, to: Date): void {
  if (!(from instanceof Date) || Number.isNaN(from.getTime())) throw badInput("from must be a date", "from");
  if (!(to instanceof Date) || Number.isNaN(to.getTime())) throw badInput("to must be a date", "to");
  if (from.getTime() >= to.getTime()) throw badInput("from must be before to", "from");
  if (to.getTime() - from.getTime() > REPORT_MAX_DAYS * DAY_MS) throw badInput(`the window may span at most ${REPORT_MAX_DAYS} days`, "to");
}

export class AuditReportService {
  constructor(
    private readonly store: AuditedStore,
    private readonly workingHours: WorkingHours,
  ) {}

  trailExport(actor: AuditActor, filter: TrailFilter, format: ExportFormat, limit?: number | null): Promise<TrailExport> {
    assertTrailFilter(filter);
    const rows = limit ?? EXPORT_DEFAULT_ROWS;
    if (!Number.isInteger(rows) || rows < 1 || rows > EXPORT_MAX_ROWS) {
      throw badInput(`limit must be between 1 and ${EXPORT_MAX_ROWS} (use \`custos audit export\` for more)`, "limit");
    }
    const params = { ...filter, format, limit };
    return this.run(actor, "auditTrailExport", "export", "AuditEvent", params, async (uow) => {
      const head = await selectHeadSeq(uow.em);
      const events = await selectTrailBatch(uow.em, filter, { afterSeq: 0, upToSeq: head, limit: rows + 1 });
      const truncated = events.length > rows;
      const kept = truncated ? events.slice(0, rows) : events;
      const result = { format, rowCount: kept.length, truncated, lastSeq: kept.at(-1)?.seq ?? null, content: renderExport(format, kept) };
      return { result, details: { format, rows: kept.length, truncated } };
    });
  }

  accessReport(actor: AuditActor, customerId: string, from: Date, to: Date): Promise<AccessReport> {
    if (!isUuid(customerId)) throw badInput("customerId must be a UUID", "customerId");
    assertWindow(from, to);
    return this.run(actor, "accessReport", "read", "AuditReport", { customerId, from, to }, async (uow) => {
      const rows = await selectCustomerAccess(uow.em, customerId, from, to, REPORT_MAX_ROWS + 1);
      const truncated = rows.length > REPORT_MAX_ROWS;
      const entries = truncated ? rows.slice(0, REPORT_MAX_ROWS) : rows;
      return { result: { customerId, from, to, entries, truncated }, details: { rows: entries.length, truncated } };
    });
  }

  deniedAccess(actor: AuditActor, from: Date, to: Date): Promise<DeniedAccessReport> {
    assertWindow(from, to);
    return this.run(actor, "deniedAccess", "read", "AuditReport", { from, to }, async (uow) => {
      const byActor = await selectDeniedCounts(uow.em, from, to);
      const rows = await selectDeniedEvents(uow.em, from, to, REPORT_MAX_ROWS + 1);
      const truncated = rows.length > REPORT_MAX_ROWS;
      const events = truncated ? rows.slice(0, REPORT_MAX_ROWS) : rows;
      return { result: { from, to, byActor, events, truncated }, details: { rows: events.length, truncated } };
    });
  }

  unusualAccess(actor: AuditActor, from: Date, to: Date): Promise<UnusualAccessReport> {
    assertWindow(from, to);
    return this.run(actor, "unusualAccess", "read", "AuditReport", { from, to }, async (uow) => {
      const none = { customerId: null, day: null, baselineCount: null, threshold: null };
      const unrelated = (await selectUnrelatedReads(uow.em, from, to)).map((f): UnusualAccessFinding => ({ ...none, ...f, kind: "UNRELATED_CUSTOMER" }));
      const volume = (await selectVolumeAboveBaseline(uow.em, from, to)).map((f): UnusualAccessFinding => ({ ...none, ...f, kind: "VOLUME_ABOVE_BASELINE" }));
      const afterHours = (await selectOutsideWorkingHours(uow.em, from, to, this.workingHours)).map((f): UnusualAccessFinding => ({ ...none, ...f, kind: "OUTSIDE_WORKING_HOURS" }));
      const findings = [...unrelated, ...volume, ...afterHours];
      return { result: { from, to, findings }, details: { findings: findings.length } };
    });
  }

  /**
   * Checks the permission (a refusal is recorded whatever happens), runs the report, and records its
   * audit.report event in the same transaction, so the result leaves only once the event is durable.
   */
  private run<T>(
    actor: AuditActor,
    report: ReportName,
    action: "read" | "export",
    subject: "AuditReport" | "AuditEvent",
    params: Record<string, unknown>,
    work: (uow: UnitOfWork) => Promise<{ result: T; details: Record<string, string | number | boolean> }>,
  ): Promise<T> {
    return this.store.run(actor, null, async (uow) => {
      const { ability } = requireActor(uow);
      if (!ability.can(action, subject)) {
        uow.recordAttempt({ action: "audit.report", resourceType: "audit", resourceId: null, outcome: "DENIED", details: { report } });
        throw forbidden();
      }
      const { result, details } = await work(uow);
      uow.record({ action: "audit.report", resourceType: "audit", resourceId: null, outcome: "SUCCESS", fields: givenNames(params), details: { report, ...details } });
      return result;
    });
  }
}
