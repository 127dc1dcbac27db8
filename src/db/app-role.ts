// The role the application works as (docs/audit-immutability.md): migrations run as the connecting user,
// everything after as custos_app, which may only INSERT and SELECT the audit tables.
import type { Logger } from "pino";
import type { DataSource } from "typeorm";

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class AppRoleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AppRoleError";
  }
}

/**
 * The role to SET for application sessions: `wanted` if it exists and the connecting user may assume it
 * (or already is it); null when `wanted` is "none" or cannot be assumed.
 */
export async function resolveAppRole(ds: DataSource, wanted: string): Promise<string | null> {
  if (wanted === "none") return null;
  if (!ROLE_NAME.test(wanted)) throw new AppRoleError(`CUSTOS_DB_ROLE: not a role name`);
  const [row] = await ds.query(
    `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS exists,
            EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AND pg_has_role(current_user, $1, 'MEMBER') AS usable`,
    [wanted],
  );
  return row.exists && row.usable ? wanted : null;
}

/**
 * Whether the application's sessions could rewrite the audit log through privileges alone (triggers
 * still refuse; superusers can disable triggers). Production refuses to start when they could.
 */
export async function auditPrivilegeProblems(ds: DataSource): Promise<string[]> {
  const [row] = await ds.query(`
    SELECT r.rolsuper AS superuser,
           has_table_privilege('audit_event', 'UPDATE') OR has_table_privilege('audit_event', 'DELETE')
             OR has_table_privilege('audit_event', 'TRUNCATE') AS rewrite_chain,
           has_table_privilege('audit_pending', 'UPDATE') OR has_table_privilege('audit_pending', 'TRUNCATE') AS rewrite_journal,
           has_table_privilege('audit_checkpoint', 'UPDATE') OR has_table_privilege('audit_checkpoint', 'DELETE')
             OR has_table_privilege('audit_merkle_node', 'UPDATE') OR has_table_privilege('audit_merkle_node', 'DELETE') AS rewrite_evidence
    FROM pg_roles r WHERE r.rolname = current_user`);
  const problems: string[] = [];
  if (row.superuser) problems.push("the application's database role is a superuser");
  if (row.rewrite_chain) problems.push("the application's database role may UPDATE, DELETE or TRUNCATE audit_event");
  if (row.rewrite_journal) problems.push("the application's database role may UPDATE or TRUNCATE audit_pending");
  if (row.rewrite_evidence) problems.push("the application's database role may UPDATE or DELETE audit_checkpoint or audit_merkle_node");
  return problems;
}

/** Logs (development) or throws (production) when the application could rewrite the audit log. */
export async function checkAuditPrivileges(ds: DataSource, production: boolean, logger: Logger): Promise<void> {
  const problems = await auditPrivilegeProblems(ds);
  if (problems.length === 0) return;
  if (production) throw new AppRoleError(`refusing to start: ${problems.join("; ")} (README, "Database roles")`);
  logger.warn({ problems }, "the audit log is protected by triggers only: connect as custos_app (README, \"Database roles\")");
}
