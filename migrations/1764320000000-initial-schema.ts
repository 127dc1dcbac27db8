// The first schema: staff and teams, encrypted customers, cases with their timeline, and the audit log.
import type { MigrationInterface, QueryRunner } from "typeorm";

const ROLES = "'AGENT','TEAM_LEAD','COMPLIANCE_OFFICER','SECURITY_ANALYST','ADMIN'";
const LINES = "'PERSONAL_BANKING','CORPORATE_FINANCE','SECURITIES','INSURANCE'";
const CHANNELS = "'PHONE','EMAIL','ONLINE_CHAT','BRANCH','APP','REGULATOR_REFERRAL'";
const KINDS = "'INQUIRY','SERVICE_REQUEST','COMPLAINT'";
const STATUSES = "'NEW','ASSIGNED','IN_PROGRESS','AWAITING_CUSTOMER','ESCALATED','RESOLVED','REOPENED','CLOSED'";

export class InitialSchema1764320000000 implements MigrationInterface {
  name = "InitialSchema1764320000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE team (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        business_line text NOT NULL UNIQUE CHECK (business_line IN (${LINES})),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE staff_user (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL,
        display_name text NOT NULL,
        role text NOT NULL CHECK (role IN (${ROLES})),
        business_line text CHECK (business_line IN (${LINES})),
        team_id uuid REFERENCES team(id),
        password_hash text NOT NULL,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT staff_line_matches_role CHECK ((role IN ('AGENT','TEAM_LEAD')) = (business_line IS NOT NULL AND team_id IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX staff_user_email_key ON staff_user (lower(email))`);
    await q.query(`CREATE INDEX staff_user_team_role_idx ON staff_user (team_id, role) WHERE active`);

    // Customers: every PII column is ciphertext; *_bidx are keyed HMAC blind indexes for exact lookup.
    await q.query(`CREATE SEQUENCE customer_reference_seq`);
    await q.query(`
      CREATE TABLE customer (
        id uuid PRIMARY KEY,
        reference text NOT NULL UNIQUE,
        business_lines text[] NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE','CLOSED')),
        full_name_enc bytea NOT NULL,
        national_id_enc bytea NOT NULL,
        phone_enc bytea,
        email_enc bytea,
        address_enc bytea,
        national_id_bidx bytea NOT NULL,
        phone_bidx bytea,
        email_bidx bytea,
        created_by uuid REFERENCES staff_user(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        version integer NOT NULL DEFAULT 1,
        CONSTRAINT customer_lines_valid CHECK (business_lines <@ ARRAY[${LINES}]::text[])
      )`);
    await q.query(`CREATE UNIQUE INDEX customer_national_id_bidx_key ON customer (national_id_bidx)`);
    await q.query(`CREATE INDEX customer_phone_bidx_idx ON customer (phone_bidx)`);
    await q.query(`CREATE INDEX customer_email_bidx_idx ON customer (email_bidx)`);
    await q.query(`CREATE INDEX customer_lines_idx ON customer USING gin (business_lines)`);
    await q.query(`CREATE INDEX customer_created_idx ON customer (created_at DESC, id DESC)`);

    // One data key per customer, wrapped by a versioned master key. Deleting the row shreds the customer.
    await q.query(`
      CREATE TABLE customer_key (
        customer_id uuid PRIMARY KEY REFERENCES customer(id),
        kek_version integer NOT NULL,
        wrapped_dek bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        rewrapped_at timestamptz
      )`);
    await q.query(`CREATE INDEX customer_key_version_idx ON customer_key (kek_version)`);

    await q.query(`
      CREATE TABLE customer_transaction (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        customer_id uuid NOT NULL REFERENCES customer(id),
        business_line text NOT NULL CHECK (business_line IN (${LINES})),
        occurred_at timestamptz NOT NULL,
        kind text NOT NULL,
        amount_minor bigint NOT NULL,
        currency char(3) NOT NULL,
        description text NOT NULL
      )`);
    await q.query(`CREATE INDEX customer_transaction_customer_idx ON customer_transaction (customer_id, occurred_at DESC, id DESC)`);

    await q.query(`CREATE SEQUENCE case_reference_seq`);
    await q.query(`
      CREATE TABLE support_case (
        id uuid PRIMARY KEY,
        reference text NOT NULL UNIQUE,
        customer_id uuid NOT NULL REFERENCES customer(id),
        channel text NOT NULL CHECK (channel IN (${CHANNELS})),
        kind text NOT NULL CHECK (kind IN (${KINDS})),
        category text NOT NULL,
        complexity text NOT NULL CHECK (complexity IN ('COMMON','COMPLEX')),
        business_line text NOT NULL CHECK (business_line IN (${LINES})),
        team_id uuid NOT NULL REFERENCES team(id),
        status text NOT NULL CHECK (status IN (${STATUSES})),
        assignee_id uuid REFERENCES staff_user(id),
        received_at timestamptz NOT NULL,
        first_response_due_at timestamptz NOT NULL,
        resolution_due_at timestamptz,
        callback_due_at timestamptz,
        regulatory_due_at timestamptz,
        first_responded_at timestamptz,
        resolved_at timestamptz,
        closed_at timestamptz,
        summary_enc bytea NOT NULL,
        resolution_enc bytea,
        created_by uuid REFERENCES staff_user(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        version integer NOT NULL DEFAULT 1
      )`);
    await q.query(`CREATE INDEX support_case_line_received_idx ON support_case (business_line, received_at DESC, id DESC)`);
    await q.query(`CREATE INDEX support_case_received_idx ON support_case (received_at DESC, id DESC)`);
    await q.query(`CREATE INDEX support_case_customer_idx ON support_case (customer_id)`);
    await q.query(`CREATE INDEX support_case_assignee_open_idx ON support_case (assignee_id) WHERE status NOT IN ('RESOLVED','CLOSED')`);

    await q.query(`
      CREATE TABLE case_note (
        id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES support_case(id),
        author_id uuid NOT NULL REFERENCES staff_user(id),
        body_enc bytea NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX case_note_case_idx ON case_note (case_id, created_at)`);

    // The case timeline: clocks are recomputed from these events (data holds no PII).
    await q.query(`
      CREATE TABLE case_event (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES support_case(id),
        type text NOT NULL,
        occurred_at timestamptz NOT NULL,
        actor_id uuid REFERENCES staff_user(id),
        data jsonb NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX case_event_case_idx ON case_event (case_id, occurred_at, id)`);

    await this.createAuditLog(q);
  }

  private async createAuditLog(q: QueryRunner): Promise<void> {
    // References and keyed hashes only: no column here may ever hold PII (see docs/audit-canonical-form.md).
    await q.query(`
      CREATE TABLE audit_event (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        prev_hash bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
        hash bytea NOT NULL CHECK (octet_length(hash) = 32),
        occurred_at timestamptz NOT NULL,
        actor_id uuid,
        actor_role text,
        action text NOT NULL,
        resource_type text NOT NULL,
        resource_id text,
        fields text[] NOT NULL DEFAULT '{}',
        outcome text NOT NULL CHECK (outcome IN ('SUCCESS','DENIED','NOT_FOUND','FAILURE')),
        request_id text,
        operation text,
        client_address text,
        purpose text,
        details jsonb NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX audit_event_resource_idx ON audit_event (resource_type, resource_id, seq)`);
    await q.query(`CREATE INDEX audit_event_actor_idx ON audit_event (actor_id, seq)`);
    await q.query(`CREATE INDEX audit_event_action_idx ON audit_event (action, seq)`);
    await q.query(`CREATE INDEX audit_event_time_idx ON audit_event (occurred_at)`);

    // Append-only for everyone, superusers included; only a superuser who disables triggers can bend it,
    // and the hash chain (and later, outside checkpoints) exposes that.
    await q.query(`
      CREATE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON audit_event
      FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()`);
    await q.query(`
      CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
      FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM PUBLIC`);
  }

  async down(): Promise<void> {
    // Dropping the audit log is never a migration step; restore from backup instead.
    throw new Error("InitialSchema cannot be reverted");
  }
}
