// One layout-neutral shape for every regulators' report (tables and charts with their metadata), which the
// CSV, XLSX and PDF renderers draw; JSON is the report data itself. Pure.
import type { ComplaintReturn } from "../domain/report-complaints";
import type { AccessReportData, TrainingControlsData } from "../domain/report-status";

export const REPORT_KINDS = ["complaints", "access", "training-controls"] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
export const REPORT_FORMATS = ["json", "csv", "xlsx", "pdf"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export type ReportData = ComplaintReturn | AccessReportData | TrainingControlsData;
export type Cell = string | number | null;

export interface ReportTable {
  id: string;
  title: string;
  columns: string[];
  rows: Cell[][];
}

export interface ReportChart {
  title: string;
  labels: string[];
  series: Array<{ name: string; values: number[] }>;
}

/** What the report was built from: the instant (injected clock) and the sealed audit checkpoint. */
export interface ReportProvenance {
  generatedAt: string;
  generator: string;
  checkpoint: { seq: number; rootHash: string; kid: string };
}

export interface ReportDocument {
  title: string;
  kind: ReportKind;
  from: string;
  to: string;
  provenance: ReportProvenance;
  tables: ReportTable[];
  charts: ReportChart[];
}

export const REPORT_TITLES: Record<ReportKind, string> = {
  complaints: "Complaint-handling return",
  access: "Access to customer data",
  "training-controls": "Training and controls status",
};

const counts = (id: string, title: string, dim: string, rows: Array<{ key: string; count: number }>): ReportTable => ({
  id,
  title,
  columns: [dim, "count"],
  rows: rows.map((r) => [r.key, r.count]),
});

function complaintTables(r: ComplaintReturn): { tables: ReportTable[]; charts: ReportChart[] } {
  const c = r.closed;
  const o = r.outcomes;
  return {
    tables: [
      {
        id: "summary",
        title: "Summary",
        columns: ["measure", "value"],
        rows: [
          ["received", r.received.total],
          ["closed", c.total],
          ["closed_within_3_business_days", c.WITHIN_3_BUSINESS_DAYS],
          ["closed_within_15_days", c.WITHIN_15_DAYS],
          ["closed_within_30_days", c.WITHIN_30_DAYS],
          ["closed_within_60_days", c.WITHIN_60_DAYS],
          ["closed_later", c.LATER],
          ["upheld", o.upheld],
          ["partly_upheld", o.partlyUpheld],
          ["not_upheld", o.notUpheld],
          ["no_outcome", o.noOutcome],
          ["upheld_share", o.upheldShare],
          ["fully_upheld_share", o.fullyUpheldShare],
          ["outstanding_at_period_end", r.outstandingAtPeriodEnd],
          ["time_zone", r.timeZone],
        ],
      },
      counts("received_by_business_line", "Received by business line", "business_line", r.received.byBusinessLine),
      counts("received_by_product_category", "Received by product category", "product_category", r.received.byProductCategory),
      counts("received_by_cause", "Received by cause (root-cause code)", "cause", r.received.byCause),
      counts("received_by_channel", "Received by channel", "channel", r.received.byChannel),
      { id: "redress_paid", title: "Redress paid (complaints closed in the period)", columns: ["currency", "amount", "complaints"], rows: r.redress.map((x) => [x.currency, x.amount, x.complaints]) },
      { id: "weekly", title: "Per week (weeks start on Monday)", columns: ["week_start", "received", "closed"], rows: r.weekly.map((w) => [w.weekStart, w.received, w.closed]) },
    ],
    charts: [
      {
        title: "Complaints per week",
        labels: r.weekly.map((w) => w.weekStart),
        series: [
          { name: "received", values: r.weekly.map((w) => w.received) },
          { name: "closed", values: r.weekly.map((w) => w.closed) },
        ],
      },
      {
        title: "Closed complaints by time to close",
        labels: ["<=3 bd", "<=15 d", "<=30 d", "<=60 d", "later"],
        series: [{ name: "closed", values: [c.WITHIN_3_BUSINESS_DAYS, c.WITHIN_15_DAYS, c.WITHIN_30_DAYS, c.WITHIN_60_DAYS, c.LATER] }],
      },
    ],
  };
}

function accessTables(r: AccessReportData): { tables: ReportTable[]; charts: ReportChart[] } {
  const t = r.totals;
  return {
    tables: [
      {
        id: "summary",
        title: "Summary",
        columns: ["measure", "value"],
        rows: [
          ["access_events", t.accessEvents],
          ["actors", t.actors],
          ["denied_attempts", t.deniedAttempts],
          ["not_found_attempts", t.notFoundAttempts],
          ["unusual_findings", t.unusualFindings],
        ],
      },
      {
        id: "access_by_actor",
        title: "Access to customer data by actor",
        columns: ["actor_id", "actor_role", "events", "customers", "cases", "searches"],
        rows: r.byActor.map((a) => [a.actorId, a.actorRole, a.events, a.customers, a.cases, a.searches]),
      },
      { id: "denied_by_actor", title: "Denied and not-found attempts by actor", columns: ["actor_id", "actor_role", "denied", "not_found"], rows: r.denied.map((d) => [d.actorId, d.actorRole, d.denied, d.notFound]) },
      counts("findings_by_kind", "Unusual access findings by kind", "kind", r.findingsByKind),
      { id: "findings", title: "Unusual access findings", columns: ["kind", "actor_id", "actor_role", "events", "detail"], rows: r.findings.map((f) => [f.kind, f.actorId, f.actorRole, f.events, f.detail]) },
    ],
    charts: [{ title: "Unusual access findings by kind", labels: r.findingsByKind.map((f) => f.key), series: [{ name: "findings", values: r.findingsByKind.map((f) => f.count) }] }],
  };
}

function trainingTables(r: TrainingControlsData): { tables: ReportTable[]; charts: ReportChart[] } {
  const c = r.controls;
  const item = (name: string, x: { total: number; done: number; cancelled: number; open: number; overdue: number }): Cell[] => [name, x.total, x.done, x.cancelled, x.open, x.overdue];
  return {
    tables: [
      {
        id: "summary",
        title: "Summary",
        columns: ["measure", "value"],
        rows: [
          ["course", r.course],
          ["active_staff", r.training.activeStaff],
          ["training_current_share", r.training.currentShare],
          ["overdue_milestones", c.milestones.overdue],
          ["overdue_action_items", c.actionItems.overdue],
          ["suggestions_overdue_for_review", c.suggestions.overdueForReview],
        ],
      },
      counts("training_by_state", "Mandatory training by state", "state", r.training.byState),
      { id: "training_staff", title: "Staff training", columns: ["staff_id", "role", "state", "expires_at"], rows: r.training.staff.map((s) => [s.staffId, s.role, s.state, s.expiresAt]) },
      counts("measures_by_status", "Control measures by status", "status", c.measuresByStatus),
      { id: "control_items", title: "Milestones and action items", columns: ["item", "total", "done", "cancelled", "open", "overdue"], rows: [item("milestones", c.milestones), item("action_items", c.actionItems)] },
      {
        id: "suggestions",
        title: "Improvement suggestions",
        columns: ["submitted", "accepted", "rejected", "overdue_for_review"],
        rows: [[c.suggestions.submitted, c.suggestions.accepted, c.suggestions.rejected, c.suggestions.overdueForReview]],
      },
      { id: "overdue_items", title: "Overdue items", columns: ["kind", "reference", "due_at"], rows: c.overdue.map((o) => [o.kind, o.reference, o.dueAt]) },
    ],
    charts: [{ title: "Mandatory training by state", labels: r.training.byState.map((s) => s.key), series: [{ name: "staff", values: r.training.byState.map((s) => s.count) }] }],
  };
}

export function toDocument(report: ReportData, provenance: ReportProvenance): ReportDocument {
  const body = report.kind === "complaints" ? complaintTables(report) : report.kind === "access" ? accessTables(report) : trainingTables(report);
  return { title: REPORT_TITLES[report.kind], kind: report.kind, from: report.from, to: report.to, provenance, ...body };
}

/** The metadata rows every format repeats: what, which period, when, and from which checkpoint. */
export function metadataRows(doc: ReportDocument): Array<[string, string | number]> {
  return [
    ["report", doc.kind],
    ["title", doc.title],
    ["period_from", doc.from],
    ["period_to", doc.to],
    ["generated_at", doc.provenance.generatedAt],
    ["generator", doc.provenance.generator],
    ["checkpoint_seq", doc.provenance.checkpoint.seq],
    ["checkpoint_root_hash", doc.provenance.checkpoint.rootHash],
    ["checkpoint_kid", doc.provenance.checkpoint.kid],
  ];
}
