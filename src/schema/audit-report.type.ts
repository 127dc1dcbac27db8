// GraphQL shape of the audit reports: the trail export, a customer's access report, denied attempts and
// unusual-access findings. Events are references only, like the log itself: no PII.
import { SafeIntResolver } from "graphql-scalars";
import { Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { AuditEvent } from "./audit.type";

export const AuditExportFormatEnum = { CSV: "CSV", JSONL: "JSONL" } as const;
registerEnumType(AuditExportFormatEnum, { name: "AuditExportFormat", description: "CSV (RFC 4180, header row) or JSON lines" });

export const UnusualAccessKindEnum = {
  UNRELATED_CUSTOMER: "UNRELATED_CUSTOMER",
  VOLUME_ABOVE_BASELINE: "VOLUME_ABOVE_BASELINE",
  OUTSIDE_WORKING_HOURS: "OUTSIDE_WORKING_HOURS",
} as const;
registerEnumType(UnusualAccessKindEnum, { name: "UnusualAccessKind", description: "See docs/audit-reports.md for each definition" });

@ObjectType({ description: "A filtered stretch of the trail as text; `truncated` when the limit cut it (use `custos audit export`)" })
export class AuditTrailExport {
  @Field(() => AuditExportFormatEnum) format: string;
  @Field(() => Int) rowCount: number;
  @Field() truncated: boolean;
  @Field(() => SafeIntResolver, { nullable: true, description: "Seq of the last row exported" }) lastSeq: number | null;
  @Field() content: string;
}

@ObjectType({ description: "One read of the customer, directly or through one of their cases" })
export class AccessReportEntry {
  @Field(() => SafeIntResolver) seq: number;
  @Field() occurredAt: Date;
  @Field(() => ID, { nullable: true }) actorId: string | null;
  @Field(() => String, { nullable: true }) actorRole: string | null;
  @Field() action: string;
  @Field() outcome: string;
  @Field(() => [String], { description: "PII fields decrypted by the read" }) fields: string[];
  @Field(() => String, { nullable: true }) purpose: string | null;
  @Field(() => String, { nullable: true }) requestId: string | null;
  @Field(() => String, { nullable: true }) operation: string | null;
  @Field({ description: "customer: read of the customer; case: read of one of the customer's cases" }) via: string;
  @Field(() => ID, { nullable: true }) caseId: string | null;
}

@ObjectType()
export class AccessReport {
  @Field(() => ID) customerId: string;
  @Field() from: Date;
  @Field() to: Date;
  @Field(() => [AccessReportEntry]) entries: AccessReportEntry[];
  @Field() truncated: boolean;
}

@ObjectType({ description: "Denied and not-found attempts of one actor (null: unauthenticated)" })
export class DeniedAccessCount {
  @Field(() => ID, { nullable: true }) actorId: string | null;
  @Field(() => String, { nullable: true }) actorRole: string | null;
  @Field(() => Int) denied: number;
  @Field(() => Int) notFound: number;
  @Field(() => Int) total: number;
}

@ObjectType()
export class DeniedAccessReport {
  @Field() from: Date;
  @Field() to: Date;
  @Field(() => [DeniedAccessCount]) byActor: DeniedAccessCount[];
  @Field(() => [AuditEvent]) events: AuditEvent[];
  @Field() truncated: boolean;
}

@ObjectType({ description: "One finding and the events behind it" })
export class UnusualAccessFinding {
  @Field(() => UnusualAccessKindEnum) kind: string;
  @Field(() => ID) actorId: string;
  @Field(() => String, { nullable: true }) actorRole: string | null;
  @Field(() => ID, { nullable: true, description: "UNRELATED_CUSTOMER: the customer read" }) customerId: string | null;
  @Field(() => String, { nullable: true, description: "OUTSIDE_WORKING_HOURS: the local day (YYYY-MM-DD)" }) day: string | null;
  @Field(() => Int) eventCount: number;
  @Field(() => [SafeIntResolver], { description: "Seqs of the events behind the finding (at most 1,000, the first ones)" }) seqs: number[];
  @Field() firstAt: Date;
  @Field() lastAt: Date;
  @Field(() => Int, { nullable: true, description: "VOLUME_ABOVE_BASELINE: reads in the 30 days before the window" }) baselineCount: number | null;
  @Field(() => Float, { nullable: true, description: "VOLUME_ABOVE_BASELINE: the count the window had to exceed" }) threshold: number | null;
}

@ObjectType()
export class UnusualAccessReport {
  @Field() from: Date;
  @Field() to: Date;
  @Field(() => [UnusualAccessFinding]) findings: UnusualAccessFinding[];
}
