// The access report and the training-and-controls status report (docs/regulatory-reports.md §3, §4) as
// plain data: the store's rows in, the report's cells out. Pure.
const DAY = 86_400_000;
export const TRAINING_EXPIRY_WARNING_DAYS = 30;

export interface AccessReportData {
  kind: "access";
  from: string;
  to: string;
  totals: { accessEvents: number; actors: number; deniedAttempts: number; notFoundAttempts: number; unusualFindings: number };
  byActor: Array<{ actorId: string | null; actorRole: string | null; events: number; customers: number; cases: number; searches: number }>;
  denied: Array<{ actorId: string | null; actorRole: string | null; denied: number; notFound: number }>;
  findings: Array<{ kind: string; actorId: string; actorRole: string | null; events: number; detail: string }>;
  findingsByKind: Array<{ key: string; count: number }>;
}

export const FINDING_KINDS = ["UNRELATED_CUSTOMER", "VOLUME_ABOVE_BASELINE", "OUTSIDE_WORKING_HOURS"] as const;

export function buildAccessReport(input: {
  from: Date;
  to: Date;
  byActor: AccessReportData["byActor"];
  denied: AccessReportData["denied"];
  findings: AccessReportData["findings"];
}): AccessReportData {
  return {
    kind: "access",
    from: input.from.toISOString(),
    to: input.to.toISOString(),
    totals: {
      accessEvents: input.byActor.reduce((n, a) => n + a.events, 0),
      actors: input.byActor.length,
      deniedAttempts: input.denied.reduce((n, d) => n + d.denied, 0),
      notFoundAttempts: input.denied.reduce((n, d) => n + d.notFound, 0),
      unusualFindings: input.findings.length,
    },
    byActor: input.byActor,
    denied: input.denied,
    findings: input.findings,
    findingsByKind: FINDING_KINDS.map((key) => ({ key, count: input.findings.filter((f) => f.kind === key).length })),
  };
}

export type TrainingState = "CURRENT" | "EXPIRING" | "EXPIRED" | "NEVER_TRAINED";

export interface TrainingControlsData {
  kind: "training-controls";
  from: string;
  to: string;
  course: string;
  training: {
    activeStaff: number;
    byState: Array<{ key: TrainingState; count: number }>;
    currentShare: string | null;
    staff: Array<{ staffId: string; role: string; state: TrainingState; expiresAt: string | null }>;
  };
  controls: {
    measuresByStatus: Array<{ key: string; count: number }>;
    milestones: { total: number; done: number; cancelled: number; open: number; overdue: number };
    actionItems: { total: number; done: number; cancelled: number; open: number; overdue: number };
    suggestions: { submitted: number; accepted: number; rejected: number; overdueForReview: number };
    overdue: Array<{ kind: string; reference: string; dueAt: string }>;
  };
}

/** State at `at`: CURRENT (expires more than 30 days after), EXPIRING (within 30 days), EXPIRED, NEVER_TRAINED. */
export function trainingState(expiresAt: Date | null, at: Date): TrainingState {
  if (expiresAt === null) return "NEVER_TRAINED";
  if (expiresAt.getTime() <= at.getTime()) return "EXPIRED";
  return expiresAt.getTime() - at.getTime() <= TRAINING_EXPIRY_WARNING_DAYS * DAY ? "EXPIRING" : "CURRENT";
}

export function buildTrainingControls(input: {
  from: Date;
  to: Date;
  course: string;
  staff: ReadonlyArray<{ staffId: string; role: string; active: boolean; expiresAt: Date | null }>;
  controls: Omit<TrainingControlsData["controls"], "overdue"> & { overdue: Array<{ kind: string; reference: string; dueAt: Date }> };
  share: (n: number, d: number) => string | null;
}): TrainingControlsData {
  // Status at the end of the period: the instant just before `to`.
  const at = new Date(input.to.getTime() - 1);
  const staff = input.staff
    .filter((s) => s.active && s.role !== "SERVICE")
    .map((s) => ({ staffId: s.staffId, role: s.role, state: trainingState(s.expiresAt, at), expiresAt: s.expiresAt?.toISOString() ?? null }));
  const states: TrainingState[] = ["CURRENT", "EXPIRING", "EXPIRED", "NEVER_TRAINED"];
  const byState = states.map((key) => ({ key, count: staff.filter((s) => s.state === key).length }));
  const valid = byState[0].count + byState[1].count;
  return {
    kind: "training-controls",
    from: input.from.toISOString(),
    to: input.to.toISOString(),
    course: input.course,
    training: { activeStaff: staff.length, byState, currentShare: input.share(valid, staff.length), staff },
    controls: { ...input.controls, overdue: input.controls.overdue.map((o) => ({ ...o, dueAt: o.dueAt.toISOString() })) },
  };
}
