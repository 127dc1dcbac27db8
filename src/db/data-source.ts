// Builds the TypeORM data source; migrations are imported explicitly so vitest never loads .ts by glob.
import { DataSource } from "typeorm";
import { InitialSchema1764320000000 } from "../../migrations/1764320000000-initial-schema";
import { SessionsMigration1764330000000 } from "../../migrations/1764330000000-sessions";
import { LoginThrottle1764330000001 } from "../../migrations/1764330000001-login-throttle";
import { AccessControl1764330000002 } from "../../migrations/1764330000002-access-control";
import { DataProtection1764340000000 } from "../../migrations/1764340000000-data-protection";
import { ActorReferences1764330000003 } from "../../migrations/1764330000003-actor-references";
import { AuditCheckpoints1764350000000 } from "../../migrations/1764350000000-audit-checkpoints";
import { AuditReportIndexes1764370000000 } from "../../migrations/1764370000000-audit-report-indexes";
import { BlindIndexVersions1764360000000 } from "../../migrations/1764360000000-blind-index-versions";
import { CaseHandling1764391000000 } from "../../migrations/1764391000000-case-handling";
import { AuditJournal1764380000000 } from "../../migrations/1764380000000-audit-journal";
import { AuditPartitions1764380000001 } from "../../migrations/1764380000001-audit-partitions";
import { AuditRoles1764380000002 } from "../../migrations/1764380000002-audit-roles";
import { AuditMerkle1764384000000 } from "../../migrations/1764384000000-audit-merkle";
import { ServiceClocks1764392000000 } from "../../migrations/1764392000000-service-clocks";
import { ClockRuns1764393000000 } from "../../migrations/1764393000000-clock-runs";
import { ControlProgramme1764395000000 } from "../../migrations/1764395000000-control-programme";
import { AuditPendingIndex1764396000000 } from "../../migrations/1764396000000-audit-pending-index";
import { RiskModel1764398000000 } from "../../migrations/1764398000000-risk-model";
import { QualityEvaluation1764399000000 } from "../../migrations/1764399000000-quality-evaluation";
import { CustomerRelationship1764399000001 } from "../../migrations/1764399000001-customer-relationship";
import { AuditMerkleTiles1764400000000 } from "../../migrations/1764400000000-audit-merkle-tiles";
import { AuditEventLeanIndexes1764400000001 } from "../../migrations/1764400000001-audit-event-lean-indexes";
import { AuditPendingGuardPlan1764400000002 } from "../../migrations/1764400000002-audit-pending-guard-plan";
import { ServiceQuality1764397000000 } from "../../migrations/1764397000000-service-quality";
import { ENTITIES } from "../entities";

export const MIGRATIONS = [InitialSchema1764320000000, SessionsMigration1764330000000, LoginThrottle1764330000001, AccessControl1764330000002, ActorReferences1764330000003, DataProtection1764340000000, AuditCheckpoints1764350000000, BlindIndexVersions1764360000000, AuditReportIndexes1764370000000, AuditJournal1764380000000, AuditPartitions1764380000001, AuditRoles1764380000002, AuditMerkle1764384000000, CaseHandling1764391000000, ServiceClocks1764392000000, ClockRuns1764393000000, ControlProgramme1764395000000, AuditPendingIndex1764396000000, ServiceQuality1764397000000, RiskModel1764398000000, QualityEvaluation1764399000000, CustomerRelationship1764399000001, AuditMerkleTiles1764400000000, AuditEventLeanIndexes1764400000001, AuditPendingGuardPlan1764400000002];

export function createDataSource(url: string, opts: { poolSize?: number; applicationName?: string; role?: string | null } = {}): DataSource {
  return new DataSource({
    type: "postgres",
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: "schema_migration",
    migrationsTransactionMode: "each",
    synchronize: false,
    logging: false,
    poolSize: opts.poolSize ?? 10,
    applicationName: opts.applicationName ?? "custos",
    // `role` (checked by resolveAppRole) is SET for the whole session at connection start.
    extra: { connectionTimeoutMillis: 5_000, ...(opts.role ? { options: `-c role=${opts.role}` } : {}) },
  });
}

/** Applies pending migrations; returns the names of those it ran. */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const done = await ds.runMigrations({ transaction: "each" });
  return done.map((m) => m.name);
}

/** True when every known migration is recorded as applied (readiness). */
export async function migrationsApplied(ds: DataSource): Promise<boolean> {
  return !(await ds.showMigrations());
}
