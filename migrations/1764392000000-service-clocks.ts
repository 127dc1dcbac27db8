// Service clocks (issue 7, items 4 and 5): clock policies as data (seeded with the bank's defaults),
// business calendars and holidays, each case's clock events, the clock jobs the scheduler runs, and the
// notifications outbox. None of these tables holds PII: ids, clock kinds, instants and reason codes.
import type { MigrationInterface, QueryRunner } from "typeorm";

const CLOCK_KINDS = `'FIRST_RESPONSE','RESOLUTION','CALLBACK','REGULATORY_DECISION'`;
const H = 3_600_000;
const D = 24 * H;

export class ServiceClocks1764392000000 implements MigrationInterface {
  name = "ServiceClocks1764392000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE business_calendar (
        id text PRIMARY KEY,
        time_zone text NOT NULL,
        -- ISO weekday ("1".."7") → [{"start": minutes, "end": minutes}], local wall-clock time
        week jsonb NOT NULL
      )`);
    await q.query(`
      CREATE TABLE business_holiday (
        calendar_id text NOT NULL REFERENCES business_calendar(id),
        day date NOT NULL,
        label text NOT NULL,
        PRIMARY KEY (calendar_id, day)
      )`);
    await q.query(`
      CREATE TABLE clock_policy (
        id serial PRIMARY KEY,
        clock_kind text NOT NULL CHECK (clock_kind IN (${CLOCK_KINDS})),
        case_kind text CHECK (case_kind IN ('INQUIRY','SERVICE_REQUEST','COMPLAINT')),
        complexity text CHECK (complexity IN ('COMMON','COMPLEX')),
        business_line text CHECK (business_line IN ('PERSONAL_BANKING','CORPORATE_FINANCE','SECURITIES','INSURANCE')),
        duration_ms bigint NOT NULL CHECK (duration_ms > 0),
        basis text NOT NULL CHECK (basis IN ('CALENDAR','BUSINESS')),
        calendar_id text REFERENCES business_calendar(id),
        warn_ratio double precision NOT NULL DEFAULT 0.75 CHECK (warn_ratio > 0 AND warn_ratio < 1),
        pausable boolean NOT NULL DEFAULT true,
        -- [{"toMs": n, "requires": "REASON" | "HEAD_OFFICE_APPROVAL"}], increasing
        extension_steps jsonb NOT NULL DEFAULT '[]',
        CONSTRAINT clock_policy_calendar_basis CHECK ((basis = 'BUSINESS') = (calendar_id IS NOT NULL))
      )`);
    // One row per match; NULL means "any", so NULLs must collide too (PostgreSQL 13 has no NULLS NOT DISTINCT).
    await q.query(`CREATE UNIQUE INDEX clock_policy_match_key ON clock_policy (clock_kind, coalesce(case_kind, '*'), coalesce(complexity, '*'), coalesce(business_line, '*'))`);
    await q.query(`INSERT INTO business_calendar (id, time_zone, week) VALUES ('DEFAULT', 'UTC', $1)`, [
      JSON.stringify(Object.fromEntries(["1", "2", "3", "4", "5"].map((d) => [d, [{ start: 540, end: 1020 }]]))),
    ]);
    const steps = JSON.stringify([
      { toMs: 30 * D, requires: "REASON" },
      { toMs: 60 * D, requires: "HEAD_OFFICE_APPROVAL" },
    ]);
    await q.query(
      `INSERT INTO clock_policy (clock_kind, case_kind, complexity, business_line, duration_ms, basis, extension_steps) VALUES
        ('FIRST_RESPONSE', NULL, NULL, NULL, ${48 * H}, 'CALENDAR', '[]'),
        ('RESOLUTION', NULL, 'COMMON', NULL, ${24 * H}, 'CALENDAR', '[]'),
        ('CALLBACK', NULL, 'COMPLEX', NULL, ${72 * H}, 'CALENDAR', '[]'),
        ('REGULATORY_DECISION', 'COMPLAINT', NULL, NULL, ${15 * D}, 'CALENDAR', $1)`,
      [steps],
    );

    // A case's clock history: clocks are recomputed from these rows alone (src/domain/service-clocks).
    await q.query(`
      CREATE TABLE case_clock_event (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES support_case(id),
        clock_kind text NOT NULL CHECK (clock_kind IN (${CLOCK_KINDS})),
        type text NOT NULL CHECK (type IN ('STARTED','PAUSED','RESUMED','EXTENDED','STOPPED')),
        occurred_at timestamptz NOT NULL,
        actor_id uuid,
        -- STARTED: the policy's terms, frozen, so a later policy edit never moves a running clock
        terms jsonb,
        reason text,
        extended_to_ms bigint,
        approver_ref text,
        customer_informed_at timestamptz,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT case_clock_event_started_terms CHECK ((type = 'STARTED') = (terms IS NOT NULL)),
        CONSTRAINT case_clock_event_paused_reason CHECK (type <> 'PAUSED' OR reason IS NOT NULL),
        CONSTRAINT case_clock_event_extension CHECK ((type = 'EXTENDED') = (extended_to_ms IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX case_clock_event_case_idx ON case_clock_event (case_id, id)`);
    await q.query(`CREATE UNIQUE INDEX case_clock_event_one_start ON case_clock_event (case_id, clock_kind) WHERE type = 'STARTED'`);

    // Jobs the clock scheduler runs: one per (clock, action, deadline), so a job fires once per deadline.
    await q.query(`
      CREATE TABLE clock_job (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES support_case(id),
        clock_kind text NOT NULL CHECK (clock_kind IN (${CLOCK_KINDS})),
        action text NOT NULL CHECK (action IN ('WARN','BREACH')),
        deadline_ms bigint NOT NULL,
        run_at timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING','DONE','CANCELLED')),
        attempts integer NOT NULL DEFAULT 0,
        outcome text,
        done_at timestamptz,
        CONSTRAINT clock_job_key UNIQUE (case_id, clock_kind, action, deadline_ms)
      )`);
    await q.query(`CREATE INDEX clock_job_due_idx ON clock_job (run_at, id) WHERE status = 'PENDING'`);

    // Notifications, recorded in the transaction that decided them; delivered afterwards by a notifier.
    await q.query(`
      CREATE TABLE notification_outbox (
        id bigserial PRIMARY KEY,
        dedupe_key text NOT NULL UNIQUE,
        kind text NOT NULL CHECK (kind IN ('CLOCK_WARNING','CLOCK_BREACH_ESCALATION','REGULATORY_BREACH_COMPLIANCE')),
        case_id uuid NOT NULL REFERENCES support_case(id),
        clock_kind text NOT NULL CHECK (clock_kind IN (${CLOCK_KINDS})),
        due_at timestamptz NOT NULL,
        recipient_staff_id uuid REFERENCES staff_user(id),
        recipient_role text NOT NULL,
        created_at timestamptz NOT NULL,
        delivered_at timestamptz,
        delivery_attempts integer NOT NULL DEFAULT 0
      )`);
    await q.query(`CREATE INDEX notification_outbox_undelivered_idx ON notification_outbox (id) WHERE delivered_at IS NULL`);
    await q.query(`CREATE INDEX notification_outbox_case_idx ON notification_outbox (case_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ["notification_outbox", "clock_job", "case_clock_event", "clock_policy", "business_holiday", "business_calendar"]) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
