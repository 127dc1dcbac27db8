// Storage shape of a case, its notes and its timeline; narratives are ciphertext under the customer's key.
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm";
import type { BusinessLine, CaseKind, CaseStatus, Channel, Complexity } from "../domain/enums";

@Entity("support_case")
export class CaseEntity {
  @PrimaryColumn("uuid") id: string;
  @Column("text") reference: string;
  @Column("uuid", { name: "customer_id" }) customerId: string;
  @Column("text") channel: Channel;
  @Column("text") kind: CaseKind;
  @Column("text") category: string;
  @Column("text") complexity: Complexity;
  @Column("text", { name: "business_line" }) businessLine: BusinessLine;
  @Column("uuid", { name: "team_id" }) teamId: string;
  @Column("text") status: CaseStatus;
  @Column("uuid", { name: "assignee_id", nullable: true }) assigneeId: string | null;
  @Column("timestamptz", { name: "received_at" }) receivedAt: Date;
  @Column("timestamptz", { name: "first_response_due_at" }) firstResponseDueAt: Date;
  @Column("timestamptz", { name: "resolution_due_at", nullable: true }) resolutionDueAt: Date | null;
  @Column("timestamptz", { name: "callback_due_at", nullable: true }) callbackDueAt: Date | null;
  @Column("timestamptz", { name: "regulatory_due_at", nullable: true }) regulatoryDueAt: Date | null;
  @Column("timestamptz", { name: "first_responded_at", nullable: true }) firstRespondedAt: Date | null;
  @Column("timestamptz", { name: "resolved_at", nullable: true }) resolvedAt: Date | null;
  @Column("timestamptz", { name: "closed_at", nullable: true }) closedAt: Date | null;
  @Column("bytea", { name: "summary_enc" }) summaryEnc: Buffer;
  @Column("bytea", { name: "resolution_enc", nullable: true }) resolutionEnc: Buffer | null;
  @Column("uuid", { name: "created_by", nullable: true }) createdBy: string | null;
  @Column("timestamptz", { name: "created_at" }) createdAt: Date;
  @Column("timestamptz", { name: "updated_at" }) updatedAt: Date;
  @Column("integer") version: number;
  /** The caller's key for a retried intake; unique per caller (created_by). */
  @Column("text", { name: "idempotency_key", nullable: true }) idempotencyKey: string | null;
  /** Staff named in the complaint: never assigned, never acting on it. */
  @Column("uuid", { name: "recused_staff_ids", array: true }) recusedStaffIds: string[];
  /** The earlier case this one reopens after the reopen window. */
  @Column("uuid", { name: "linked_case_id", nullable: true }) linkedCaseId: string | null;
  @Column("text", { name: "resolution_outcome", nullable: true }) resolutionOutcome: string | null;
  @Column("text", { name: "root_cause_code", nullable: true }) rootCauseCode: string | null;
  /** numeric(14,2) comes back from pg as a string: money is never a float here. */
  @Column("numeric", { name: "redress_amount", nullable: true, precision: 14, scale: 2 }) redressAmount: string | null;
  @Column("char", { name: "redress_currency", nullable: true, length: 3 }) redressCurrency: string | null;
  @Column("boolean", { name: "customer_accepted", nullable: true }) customerAccepted: boolean | null;
  @Column("timestamptz", { name: "final_response_sent_at", nullable: true }) finalResponseSentAt: Date | null;
}

@Entity("case_note")
export class CaseNoteEntity {
  @PrimaryColumn("uuid") id: string;
  @Column("uuid", { name: "case_id" }) caseId: string;
  @Column("uuid", { name: "author_id" }) authorId: string;
  @Column("bytea", { name: "body_enc" }) bodyEnc: Buffer;
  @Column("timestamptz", { name: "created_at" }) createdAt: Date;
}

@Entity("case_event")
export class CaseEventEntity {
  @PrimaryGeneratedColumn({ type: "bigint" }) id: string;
  @Column("uuid", { name: "case_id" }) caseId: string;
  @Column("text") type: string;
  @Column("timestamptz", { name: "occurred_at" }) occurredAt: Date;
  @Column("uuid", { name: "actor_id", nullable: true }) actorId: string | null;
  @Column("jsonb") data: Record<string, string | number | boolean | null>;
}
