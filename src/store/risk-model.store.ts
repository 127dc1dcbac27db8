// The risk models' data: training rows read from the database's own history, the append-only model
// versions, and the feature rows of the cases and customers a caller may score (scoped in SQL by the
// CASL "score" rules). Feature and label definitions: docs/risk-model.md.
import { OPEN_CASE_STATUSES, type BusinessLine, type Channel } from "../domain/enums";
import { FEATURES, type CaseRiskRaw, type CustomerRiskRaw, type RiskTarget, type TrainedRiskModel } from "../domain/risk-model";
import { rulesToSql, type AppAbility, type ColumnMap } from "../policies";
import type { UnitOfWork } from "./audited-store";

/** When a case's first clock breached, from its due columns (met late, or not met by `at`); LEAST skips NULLs. */
const breachAt = (a: string) => `LEAST(
  CASE WHEN ${a}.first_responded_at IS NULL OR ${a}.first_responded_at > ${a}.first_response_due_at THEN ${a}.first_response_due_at END,
  CASE WHEN ${a}.resolution_due_at IS NOT NULL AND (${a}.resolved_at IS NULL OR ${a}.resolved_at > ${a}.resolution_due_at) THEN ${a}.resolution_due_at END,
  CASE WHEN ${a}.regulatory_due_at IS NOT NULL AND (${a}.final_response_sent_at IS NULL OR ${a}.final_response_sent_at > ${a}.regulatory_due_at) THEN ${a}.regulatory_due_at END)`;

/** When a case was first escalated: its timeline, or (rows the bulk seed wrote) its status. */
const escalatedAt = (a: string) => `coalesce(
  (SELECT min(e.occurred_at) FROM case_event e WHERE e.case_id = ${a}.id AND e.type = 'STATUS_CHANGED' AND e.data->>'to' = 'ESCALATED'),
  CASE WHEN ${a}.status = 'ESCALATED' THEN ${a}.updated_at END)`;

/** The customer's history strictly before instant `t` (an SQL expression), as the case model's counts. */
const historyBefore = (t: string) => `
  (SELECT count(*) FROM support_case p WHERE p.customer_id = c.customer_id AND p.kind = 'COMPLAINT' AND p.received_at < ${t} AND p.received_at >= ${t} - interval '90 days')::int AS complaints_90d,
  (SELECT count(*) FROM support_case p WHERE p.customer_id = c.customer_id AND p.received_at < ${t} AND p.received_at >= ${t} - interval '365 days' AND ${breachAt("p")} < ${t})::int AS prior_breaches_365d,
  (SELECT count(*) FROM case_survey v JOIN support_case p ON p.id = v.case_id WHERE p.customer_id = c.customer_id AND v.score <= 2 AND v.recorded_at < ${t} AND v.recorded_at >= ${t} - interval '365 days')::int AS dissatisfied_365d,
  (SELECT count(*) FROM support_case p WHERE p.customer_id = c.customer_id AND p.received_at < ${t} AND p.received_at >= ${t} - interval '30 days')::int AS repeat_contacts_30d,
  (SELECT coalesce(sum(p.redress_amount), 0) FROM support_case p WHERE p.customer_id = c.customer_id AND p.resolved_at < ${t})::float8 AS prior_redress`;

export interface CaseHistoryRow {
  id: string;
  receivedAt: Date;
  /** RESOLVED or CLOSED: when; null while open. */
  finishedAt: Date | null;
  /** The first breach or escalation, if any. */
  adverseAt: Date | null;
  raw: Omit<CaseRiskRaw, "caseAgeDays">;
}

function caseRaw(r: Record<string, unknown>): Omit<CaseRiskRaw, "caseAgeDays"> {
  return {
    complaints90d: Number(r.complaints_90d),
    priorBreaches365d: Number(r.prior_breaches_365d),
    dissatisfied365d: Number(r.dissatisfied_365d),
    repeatContacts30d: Number(r.repeat_contacts_30d),
    priorRedress: Number(r.prior_redress),
    complaint: r.kind === "COMPLAINT",
    complex: r.complexity === "COMPLEX",
    channel: r.channel as Channel,
    businessLine: r.business_line as BusinessLine,
  };
}

/** Every finished case (its outcome is known), with the customer's history as it was at the case's receipt. */
export async function loadCaseHistory(uow: UnitOfWork): Promise<CaseHistoryRow[]> {
  const rows: Array<Record<string, unknown>> = await uow.em.query(`
    SELECT c.id, c.kind, c.complexity, c.channel, c.business_line, c.received_at,
      coalesce(c.resolved_at, c.closed_at) AS finished_at,
      LEAST(${breachAt("c")}, ${escalatedAt("c")}) AS adverse_at,
      ${historyBefore("c.received_at")}
    FROM support_case c
    WHERE c.status IN ('RESOLVED', 'CLOSED')
    ORDER BY c.received_at, c.id`);
  return rows.map((r) => ({
    id: String(r.id),
    receivedAt: new Date(r.received_at as string),
    finishedAt: r.finished_at ? new Date(r.finished_at as string) : null,
    adverseAt: r.adverse_at ? new Date(r.adverse_at as string) : null,
    raw: caseRaw(r),
  }));
}

/** The customer's history up to `anchor` (an SQL expression over `cu`), as the churn model's counts. */
const customerHistory = (anchor: string) => `
  (SELECT count(*) FROM support_case p WHERE p.customer_id = cu.id AND p.kind = 'COMPLAINT' AND p.received_at <= ${anchor} AND p.received_at > ${anchor} - interval '90 days')::int AS complaints_90d,
  (SELECT count(*) FROM support_case p WHERE p.customer_id = cu.id AND p.received_at <= ${anchor} AND p.received_at > ${anchor} - interval '365 days' AND ${breachAt("p")} <= ${anchor})::int AS breaches_365d,
  (SELECT count(*) FROM case_survey v JOIN support_case p ON p.id = v.case_id WHERE p.customer_id = cu.id AND v.score <= 2 AND v.recorded_at <= ${anchor} AND v.recorded_at > ${anchor} - interval '365 days')::int AS dissatisfied_365d,
  (SELECT count(*) FROM support_case p WHERE p.customer_id = cu.id AND p.received_at <= ${anchor} AND p.received_at > ${anchor} - interval '90 days')::int AS contacts_90d,
  (SELECT count(*) FROM support_case p WHERE p.customer_id = cu.id AND p.channel = 'REGULATOR_REFERRAL' AND p.received_at <= ${anchor} AND p.received_at > ${anchor} - interval '365 days')::int AS referrals_365d,
  (SELECT coalesce(sum(p.redress_amount), 0) FROM support_case p WHERE p.customer_id = cu.id AND p.resolved_at <= ${anchor})::float8 AS redress_total,
  (extract(epoch FROM ${anchor} - cu.created_at) / 86400)::float8 AS tenure_days`;

/** Features are anchored at the customer's latest case (else their creation): there is no closing time. */
const CUSTOMER_ANCHOR = `coalesce((SELECT max(p.received_at) FROM support_case p WHERE p.customer_id = cu.id), cu.created_at)`;

export interface CustomerHistoryRow {
  id: string;
  anchor: Date;
  closed: boolean;
  raw: CustomerRiskRaw;
}

function customerRow(r: Record<string, unknown>): CustomerHistoryRow {
  return {
    id: String(r.id),
    anchor: new Date(r.anchor as string),
    closed: r.status === "CLOSED",
    raw: {
      complaints90d: Number(r.complaints_90d),
      breaches365d: Number(r.breaches_365d),
      dissatisfied365d: Number(r.dissatisfied_365d),
      contacts90d: Number(r.contacts_90d),
      referrals365d: Number(r.referrals_365d),
      redressTotal: Number(r.redress_total),
      tenureDays: Math.max(0, Number(r.tenure_days)),
      businessLines: r.business_lines as BusinessLine[],
    },
  };
}

const CUSTOMER_SELECT = `SELECT h.* FROM (SELECT cu.id, cu.status, cu.business_lines, a.anchor, ${customerHistory("a.anchor")}
  FROM customer cu CROSS JOIN LATERAL (SELECT ${CUSTOMER_ANCHOR} AS anchor) a`;

export async function loadCustomerHistory(uow: UnitOfWork): Promise<CustomerHistoryRow[]> {
  const rows: Array<Record<string, unknown>> = await uow.em.query(`${CUSTOMER_SELECT}) h ORDER BY h.anchor, h.id`);
  return rows.map(customerRow);
}

// ---- model versions ----

export interface StoredRiskModel extends TrainedRiskModel {
  version: number;
  labelDefinition: string;
  trainedAt: Date;
  dataAsOf: Date;
}

function modelFrom(r: Record<string, unknown>): StoredRiskModel {
  const nums = (v: unknown) => (v as Array<number | string>).map(Number);
  return {
    target: r.target as RiskTarget,
    version: Number(r.version),
    algorithm: String(r.algorithm),
    labelDefinition: String(r.label_definition),
    featureNames: r.feature_names as string[],
    means: nums(r.feature_means),
    scales: nums(r.feature_scales),
    intercept: Number(r.intercept),
    coefficients: nums(r.coefficients),
    l2: Number(r.l2),
    split: r.split as "TIME" | "RANDOM",
    trainingSize: Number(r.training_size),
    holdoutSize: Number(r.holdout_size),
    metrics: r.metrics as TrainedRiskModel["metrics"],
    trainedAt: new Date(r.trained_at as string),
    dataAsOf: new Date(r.data_as_of as string),
  };
}

/** Appends the next version of the target's model (versions are per target, from 1, never reused). */
export async function insertRiskModel(uow: UnitOfWork, model: TrainedRiskModel, labelDefinition: string, dataAsOf: Date): Promise<StoredRiskModel> {
  // Two concurrent trainings of one target queue here; the unique (target, version) backs it.
  await uow.em.query(`SELECT pg_advisory_xact_lock(hashtext('risk_model:' || $1))`, [model.target]);
  const [row] = await uow.em.query(
    `INSERT INTO risk_model (target, version, algorithm, label_definition, feature_names, feature_means, feature_scales, intercept, coefficients, l2, split, training_size, holdout_size, metrics, trained_at, data_as_of)
     SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15 FROM risk_model WHERE target = $1
     RETURNING *`,
    [model.target, model.algorithm, labelDefinition, model.featureNames, model.means, model.scales, model.intercept, model.coefficients, model.l2, model.split, model.trainingSize, model.holdoutSize, JSON.stringify(model.metrics), uow.now, dataAsOf],
  );
  return modelFrom(row);
}

export async function latestRiskModel(uow: UnitOfWork, target: RiskTarget): Promise<StoredRiskModel | null> {
  const [row] = await uow.em.query(`SELECT * FROM risk_model WHERE target = $1 ORDER BY version DESC LIMIT 1`, [target]);
  if (!row) return null;
  const model = modelFrom(row);
  // A model whose features are not the code's cannot be scored with it: train a new version.
  return model.featureNames.join(",") === FEATURES[target].join(",") ? model : null;
}

export async function listRiskModels(uow: UnitOfWork, target: RiskTarget | null): Promise<StoredRiskModel[]> {
  const rows: Array<Record<string, unknown>> = await uow.em.query(
    `SELECT * FROM risk_model WHERE ($1::text IS NULL OR target = $1) ORDER BY target, version DESC`,
    [target],
  );
  return rows.map(modelFrom);
}

// ---- rows to score, scoped by the caller's "score" rules ----

export const RISK_CASE_COLUMNS: ColumnMap = {
  businessLine: { column: "c.business_line" },
  teamId: { column: "c.team_id" },
  assigneeId: { column: "c.assignee_id", nullable: true },
};
export const RISK_CUSTOMER_COLUMNS: ColumnMap = { businessLines: { column: "cu.business_lines", array: true }, id: { column: "cu.id" } };

export interface OpenCaseRiskRow {
  id: string;
  reference: string;
  customerId: string;
  businessLine: BusinessLine;
  status: string;
  raw: CaseRiskRaw;
}

/** Open cases the ability may score (optionally of one line), with their features as of `now`. */
export async function loadOpenCaseRows(uow: UnitOfWork, ability: AppAbility, businessLine: BusinessLine | null): Promise<OpenCaseRiskRow[]> {
  const scope = rulesToSql(ability, "score", "Case", RISK_CASE_COLUMNS, "rc");
  const { sql, params } = toPositional(scope.sql, scope.params, 3);
  const rows: Array<Record<string, unknown>> = await uow.em.query(
    `SELECT c.id, c.reference, c.customer_id, c.status, c.kind, c.complexity, c.channel, c.business_line,
       (extract(epoch FROM $1::timestamptz - c.received_at) / 86400)::float8 AS age_days,
       ${historyBefore("c.received_at")}
     FROM support_case c
     WHERE c.status = ANY($2::text[]) AND (${sql}) AND ($3::text IS NULL OR c.business_line = $3)
     ORDER BY c.received_at, c.id`,
    [uow.now, [...OPEN_CASE_STATUSES], businessLine, ...params],
  );
  return rows.map((r) => ({
    id: String(r.id),
    reference: String(r.reference),
    customerId: String(r.customer_id),
    businessLine: r.business_line as BusinessLine,
    status: String(r.status),
    raw: { ...caseRaw(r), caseAgeDays: Math.max(0, Number(r.age_days)) },
  }));
}

/** One customer's churn features, or null when the ability may not score them (or they do not exist). */
export async function loadCustomerRow(uow: UnitOfWork, ability: AppAbility, customerId: string): Promise<{ row: CustomerHistoryRow | null; exists: boolean }> {
  const [exists] = await uow.em.query(`SELECT 1 FROM customer WHERE id = $1`, [customerId]);
  if (!exists) return { row: null, exists: false };
  const scope = rulesToSql(ability, "score", "Customer", RISK_CUSTOMER_COLUMNS, "rs");
  const { sql, params } = toPositional(scope.sql, scope.params, 1);
  const rows: Array<Record<string, unknown>> = await uow.em.query(`${CUSTOMER_SELECT} WHERE cu.id = $1 AND (${sql})) h`, [customerId, ...params]);
  return { row: rows[0] ? customerRow(rows[0]) : null, exists: true };
}

/** The policy translator names parameters for the query builder (`:rc_0`); raw queries want `$n`. */
function toPositional(sql: string, named: Record<string, unknown>, offset: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const out = sql.replace(/:(\.\.\.)?([A-Za-z_][A-Za-z0-9_]*)/g, (match, spread: string | undefined, name: string) => {
    if (!(name in named)) return match;
    params.push(named[name]);
    const n = `$${offset + params.length}`;
    return spread ? `ANY(${n})` : n;
  });
  return { sql: out, params };
}
