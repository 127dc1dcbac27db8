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
