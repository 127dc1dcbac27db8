// GraphQL shape of the audit log: events, trail filters and the verification report.
import { JSONObjectResolver, SafeIntResolver } from "graphql-scalars";
import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { ConnectionType } from "./connection";

@ObjectType({ description: "One sealed audit event. It never holds PII: references and keyed hashes only." })
export class AuditEvent {
  @Field(() => SafeIntResolver) seq: number;
  @Field() occurredAt: Date;
  @Field(() => ID, { nullable: true }) actorId: string | null;
  @Field(() => String, { nullable: true }) actorRole: string | null;
  @Field() action: string;
  @Field() resourceType: string;
  @Field(() => String, { nullable: true }) resourceId: string | null;
  @Field(() => [String]) fields: string[];
  @Field() outcome: string;
  @Field(() => String, { nullable: true }) requestId: string | null;
  @Field(() => String, { nullable: true }) operation: string | null;
  @Field(() => String, { nullable: true }) clientAddress: string | null;
  @Field(() => String, { nullable: true }) purpose: string | null;
  @Field(() => JSONObjectResolver) details: Record<string, unknown>;
  @Field() prevHash: string;
  @Field() hash: string;
}

export const AuditEventConnection = ConnectionType(AuditEvent, "AuditEvent");

@InputType()
export class AuditTrailFilter {
  @Field(() => String, { nullable: true }) resourceType?: string | null;
  @Field(() => String, { nullable: true }) resourceId?: string | null;
  @Field(() => ID, { nullable: true }) actorId?: string | null;
  @Field(() => String, { nullable: true }) action?: string | null;
  @Field(() => Date, { nullable: true, description: "Inclusive" }) from?: Date | null;
  @Field(() => Date, { nullable: true, description: "Exclusive" }) to?: Date | null;
}

@ObjectType()
export class AuditVerification {
  @Field() ok: boolean;
  @Field(() => Int) checked: number;
  @Field(() => SafeIntResolver, { nullable: true }) firstBadSeq: number | null;
  @Field(() => String, { nullable: true }) reason: string | null;
  @Field(() => String, { nullable: true, description: "What the verifier trusted at firstBadSeq (a hash or a seq)" }) expected: string | null;
  @Field(() => String, { nullable: true, description: "What is stored at firstBadSeq" }) found: string | null;
  @Field(() => String, { nullable: true }) message: string | null;
  @Field(() => Int, { description: "Signed checkpoints whose head matched the stored event" }) checkpointsChecked: number;
}
