// Service clocks that start again (issue 7): a case reopened inside its window restarts its resolution
// clocks, so a clock kind may have several runs per case. The one-start-per-clock index goes (the engine
// replays and refuses a start while a run is still going), and each scheduler job belongs to one run:
// the run's start instant joins the job's key, so a new run with the same duration gets jobs of its own.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class ClockRuns1764393000000 implements MigrationInterface {
  name = "ClockRuns1764393000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS case_clock_event_one_start`);
    await q.query(`ALTER TABLE clock_job ADD COLUMN run_started_at timestamptz`);
    await q.query(`
      UPDATE clock_job j SET run_started_at = e.occurred_at
        FROM case_clock_event e
       WHERE e.case_id = j.case_id AND e.clock_kind = j.clock_kind AND e.type = 'STARTED'`);
    await q.query(`UPDATE clock_job SET run_started_at = 'epoch' WHERE run_started_at IS NULL`);
    await q.query(`ALTER TABLE clock_job ALTER COLUMN run_started_at SET NOT NULL`);
    await q.query(`ALTER TABLE clock_job DROP CONSTRAINT clock_job_key`);
    await q.query(`ALTER TABLE clock_job ADD CONSTRAINT clock_job_key UNIQUE (case_id, clock_kind, action, deadline_ms, run_started_at)`);
    // The team-lead queries look for open cases' pending breach jobs in a time window.
    await q.query(`CREATE INDEX clock_job_pending_breach_idx ON clock_job (run_at) WHERE status = 'PENDING' AND action = 'BREACH'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS clock_job_pending_breach_idx`);
    await q.query(`ALTER TABLE clock_job DROP CONSTRAINT clock_job_key`);
    await q.query(`DELETE FROM clock_job a USING clock_job b WHERE a.case_id = b.case_id AND a.clock_kind = b.clock_kind AND a.action = b.action AND a.deadline_ms = b.deadline_ms AND a.id < b.id`);
    await q.query(`ALTER TABLE clock_job ADD CONSTRAINT clock_job_key UNIQUE (case_id, clock_kind, action, deadline_ms)`);
    await q.query(`ALTER TABLE clock_job DROP COLUMN run_started_at`);
    await q.query(`CREATE UNIQUE INDEX case_clock_event_one_start ON case_clock_event (case_id, clock_kind) WHERE type = 'STARTED'`);
  }
}
