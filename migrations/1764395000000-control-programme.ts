// The control programme (issue 8, item 4): a register of control measures with milestones and evidence,
// meetings with their decisions and action items, and staff improvement suggestions. Free text here is
// staff-written (not customer PII) but stays out of logs and audit details; the audit log records ids.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class ControlProgramme1764395000000 implements MigrationInterface {
  name = "ControlProgramme1764395000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE control_measure_reference_seq`);
    await q.query(`
      CREATE TABLE control_measure (
        id uuid PRIMARY KEY,
        reference text NOT NULL UNIQUE,
        title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        objective text NOT NULL CHECK (length(objective) BETWEEN 1 AND 4000),
        owner_id uuid NOT NULL REFERENCES staff_user(id),
        status text NOT NULL CHECK (status IN ('PLANNED','IN_PROGRESS','IMPLEMENTED','RETIRED')),
        created_by uuid NOT NULL REFERENCES staff_user(id),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        version integer NOT NULL DEFAULT 1
      )`);
    await q.query(`CREATE INDEX control_measure_owner_idx ON control_measure (owner_id)`);
    // closed_at is when the milestone stopped being due (DONE or CANCELLED): "overdue as of" a past instant
    // stays answerable after the item was closed.
    await q.query(`
      CREATE TABLE control_milestone (
        id uuid PRIMARY KEY,
        measure_id uuid NOT NULL REFERENCES control_measure(id),
        title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        due_at timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('OPEN','DONE','CANCELLED')),
        closed_at timestamptz,
        closed_by uuid REFERENCES staff_user(id),
        created_at timestamptz NOT NULL,
        CONSTRAINT control_milestone_closed CHECK ((status = 'OPEN') = (closed_at IS NULL))
      )`);
    await q.query(`CREATE INDEX control_milestone_measure_idx ON control_milestone (measure_id, due_at)`);
    await q.query(`CREATE INDEX control_milestone_open_due_idx ON control_milestone (due_at) WHERE status = 'OPEN'`);
    await q.query(`
      CREATE TABLE control_evidence (
        id uuid PRIMARY KEY,
        measure_id uuid NOT NULL REFERENCES control_measure(id),
        reference text NOT NULL CHECK (length(reference) BETWEEN 3 AND 500),
        added_by uuid NOT NULL REFERENCES staff_user(id),
        added_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX control_evidence_measure_idx ON control_evidence (measure_id, added_at)`);

    await q.query(`
      CREATE TABLE control_meeting (
        id uuid PRIMARY KEY,
        title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        held_at timestamptz NOT NULL,
        attendee_ids uuid[] NOT NULL CHECK (cardinality(attendee_ids) >= 1),
        decisions text[] NOT NULL DEFAULT '{}',
        recorded_by uuid NOT NULL REFERENCES staff_user(id),
        recorded_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX control_meeting_held_idx ON control_meeting (held_at DESC, id DESC)`);
    await q.query(`CREATE INDEX control_meeting_attendees_idx ON control_meeting USING gin (attendee_ids)`);
    await q.query(`
      CREATE TABLE control_action_item (
        id uuid PRIMARY KEY,
        meeting_id uuid NOT NULL REFERENCES control_meeting(id),
        title text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
        owner_id uuid NOT NULL REFERENCES staff_user(id),
        due_at timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('OPEN','DONE','CANCELLED')),
        closed_at timestamptz,
        closed_by uuid REFERENCES staff_user(id),
        created_at timestamptz NOT NULL,
        CONSTRAINT control_action_item_closed CHECK ((status = 'OPEN') = (closed_at IS NULL))
      )`);
    await q.query(`CREATE INDEX control_action_item_meeting_idx ON control_action_item (meeting_id)`);
    await q.query(`CREATE INDEX control_action_item_owner_idx ON control_action_item (owner_id, due_at)`);

    await q.query(`
      CREATE TABLE improvement_suggestion (
        id uuid PRIMARY KEY,
        author_id uuid NOT NULL REFERENCES staff_user(id),
        body text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
        submitted_at timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('SUBMITTED','ACCEPTED','REJECTED')),
        reviewer_id uuid REFERENCES staff_user(id),
        reviewed_at timestamptz,
        review_note text CHECK (length(review_note) <= 2000),
        CONSTRAINT improvement_suggestion_review CHECK ((status = 'SUBMITTED') = (reviewed_at IS NULL) AND (reviewed_at IS NULL) = (reviewer_id IS NULL)),
        -- Segregation of duties: nobody reviews their own suggestion (the service refuses it first).
        CONSTRAINT improvement_suggestion_not_self CHECK (reviewer_id IS NULL OR reviewer_id <> author_id)
      )`);
    await q.query(`CREATE INDEX improvement_suggestion_author_idx ON improvement_suggestion (author_id, submitted_at DESC)`);
    await q.query(`CREATE INDEX improvement_suggestion_pending_idx ON improvement_suggestion (submitted_at) WHERE status = 'SUBMITTED'`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ["improvement_suggestion", "control_action_item", "control_meeting", "control_evidence", "control_milestone", "control_measure"]) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
    await q.query(`DROP SEQUENCE IF EXISTS control_measure_reference_seq`);
  }
}
