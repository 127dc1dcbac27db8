// Case handling (issue 7): idempotent intake, recusal, assignment rules as data (rules, skills, duty roster),
// the timeline's contacts and attachment metadata, resolution details, the reopen window and the survey.
import type { MigrationInterface, QueryRunner } from "typeorm";

const LINES = ["PERSONAL_BANKING", "CORPORATE_FINANCE", "SECURITIES", "INSURANCE"];
const LINE_CHECK = LINES.map((l) => `'${l}'`).join(",");

/** The bank's root-cause list (complaint handling reports count cases per code). */
const ROOT_CAUSES: Array<[string, string]> = [
  ["PROCESS_ERROR", "A process was not followed or is defective"],
  ["SYSTEM_ERROR", "An IT system failed or produced a wrong result"],
  ["STAFF_CONDUCT", "Staff behaviour or advice fell short"],
  ["PRODUCT_DESIGN", "The product's terms or design caused the problem"],
  ["COMMUNICATION", "Information to the customer was missing, late or unclear"],
  ["THIRD_PARTY", "A third party (merchant, correspondent, insurer) caused it"],
  ["FRAUD", "Fraud or unauthorised use"],
  ["PRICING_FEES", "Fees, charges or interest were wrong or disputed"],
  ["DELAY", "The bank was too slow"],
  ["CUSTOMER_ERROR", "The customer's own error; the bank was not at fault"],
  ["NO_FAULT_FOUND", "Investigated, no fault found"],
];

/** Specialised routes: these categories need an agent with the skill; everything else goes to the line's team. */
const SKILL_RULES: Array<[string, string, string]> = [
  ["PERSONAL_BANKING", "card.fraud", "fraud"],
  ["CORPORATE_FINANCE", "trade.finance", "trade-finance"],
  ["SECURITIES", "fund.suitability", "suitability"],
  ["INSURANCE", "policy.misselling", "misselling"],
];

export class CaseHandling1764391000000 implements MigrationInterface {
  name = "CaseHandling1764391000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE root_cause_code (
        code text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{1,39}$'),
        description text NOT NULL,
        active boolean NOT NULL DEFAULT true
      )`);
    for (const [code, description] of ROOT_CAUSES) {
      await q.query(`INSERT INTO root_cause_code (code, description) VALUES ($1, $2)`, [code, description]);
    }

    await q.query(`
      ALTER TABLE support_case
        ADD COLUMN idempotency_key text CHECK (idempotency_key ~ '^[A-Za-z0-9._:-]{8,128}$'),
        ADD COLUMN recused_staff_ids uuid[] NOT NULL DEFAULT '{}',
        ADD COLUMN linked_case_id uuid REFERENCES support_case(id),
        ADD COLUMN resolution_outcome text CHECK (resolution_outcome IN ('UPHELD','PARTLY_UPHELD','NOT_UPHELD')),
        ADD COLUMN root_cause_code text REFERENCES root_cause_code(code),
        ADD COLUMN redress_amount numeric(14,2) CHECK (redress_amount >= 0),
        ADD COLUMN redress_currency char(3) CHECK (redress_currency ~ '^[A-Z]{3}$'),
        ADD COLUMN customer_accepted boolean,
        ADD COLUMN final_response_sent_at timestamptz,
        ADD CONSTRAINT support_case_redress_pair CHECK ((redress_amount IS NULL) = (redress_currency IS NULL))`);
    // A retried intake finds its first case by (caller, key); the index also refuses a concurrent duplicate.
    await q.query(`CREATE UNIQUE INDEX support_case_idempotency_key ON support_case (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await q.query(`CREATE INDEX support_case_linked_idx ON support_case (linked_case_id) WHERE linked_case_id IS NOT NULL`);

    // Routing: the most specific rule for (line, category) wins; a null team is the line's team.
    await q.query(`
      CREATE TABLE assignment_rule (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        business_line text NOT NULL CHECK (business_line IN (${LINE_CHECK})),
        category_prefix text CHECK (category_prefix ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
        team_id uuid REFERENCES team(id),
        required_skill text CHECK (required_skill ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX assignment_rule_key ON assignment_rule (business_line, coalesce(category_prefix, ''))`);
    for (const line of LINES) await q.query(`INSERT INTO assignment_rule (business_line) VALUES ($1)`, [line]);
    for (const [line, prefix, skill] of SKILL_RULES) {
      await q.query(`INSERT INTO assignment_rule (business_line, category_prefix, required_skill) VALUES ($1, $2, $3)`, [line, prefix, skill]);
    }
    await q.query(`
      CREATE TABLE staff_skill (
        staff_id uuid NOT NULL REFERENCES staff_user(id),
        skill text NOT NULL CHECK (skill ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
        PRIMARY KEY (staff_id, skill)
      )`);
    // The roster records who is off duty; an agent without a row is on duty.
    await q.query(`
      CREATE TABLE staff_duty (
        staff_id uuid PRIMARY KEY REFERENCES staff_user(id),
        on_duty boolean NOT NULL,
        changed_at timestamptz NOT NULL,
        changed_by uuid
      )`);

    await q.query(`
      CREATE TABLE case_workflow_policy (
        business_line text PRIMARY KEY CHECK (business_line IN (${LINE_CHECK})),
        reopen_window_days integer NOT NULL CHECK (reopen_window_days BETWEEN 0 AND 3650)
      )`);
    for (const line of LINES) await q.query(`INSERT INTO case_workflow_policy (business_line, reopen_window_days) VALUES ($1, 30)`, [line]);

    // Timeline entries with narrative keep it encrypted under the customer's key, like notes.
    await q.query(`
      CREATE TABLE case_contact (
        id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES support_case(id),
        kind text NOT NULL CHECK (kind IN ('CALL','EMAIL','CALLBACK','CHAT','LETTER','MEETING')),
        direction text NOT NULL CHECK (direction IN ('INBOUND','OUTBOUND')),
        outcome text NOT NULL CHECK (outcome IN ('REACHED','NO_ANSWER','VOICEMAIL','SENT','RECEIVED','BOUNCED','CALLBACK_REQUESTED')),
        occurred_at timestamptz NOT NULL,
        summary_enc bytea,
        recorded_by uuid NOT NULL,
        recorded_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX case_contact_case_idx ON case_contact (case_id)`);
    await q.query(`
      CREATE TABLE case_attachment (
        id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES support_case(id),
        file_name_enc bytea NOT NULL,
        media_type text NOT NULL,
        size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
        sha256 bytea NOT NULL CHECK (octet_length(sha256) = 32),
        recorded_by uuid NOT NULL,
        recorded_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX case_attachment_case_idx ON case_attachment (case_id)`);
    // One survey per case: the primary key is the rule.
    await q.query(`
      CREATE TABLE case_survey (
        case_id uuid PRIMARY KEY REFERENCES support_case(id),
        score smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
        comment_enc bytea,
        recorded_by uuid NOT NULL,
        recorded_at timestamptz NOT NULL
      )`);
  }

  async down(): Promise<void> {
    throw new Error("CaseHandling cannot be reverted");
  }
}
