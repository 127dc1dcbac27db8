// Storage shape of compliance training records and of internal apps' machine identities.
import { Column, Entity, PrimaryGeneratedColumn } from "typeorm";

@Entity("staff_training")
export class StaffTrainingEntity {
  @PrimaryGeneratedColumn("uuid") id: string;
  @Column("uuid", { name: "staff_id" }) staffId: string;
  @Column("text") course: string;
  @Column("timestamptz", { name: "completed_at" }) completedAt: Date;
  @Column("timestamptz", { name: "expires_at" }) expiresAt: Date;
  @Column("uuid", { name: "recorded_by", nullable: true }) recordedBy: string | null;
  @Column("timestamptz", { name: "recorded_at" }) recordedAt: Date;
}

@Entity("service_client")
export class ServiceClientEntity {
  @PrimaryGeneratedColumn("uuid") id: string;
  @Column("text", { name: "client_id" }) clientId: string;
  @Column("text") name: string;
  @Column("text", { name: "secret_hash" }) secretHash: string;
  @Column("text", { array: true }) scopes: string[];
  @Column("boolean") active: boolean;
  @Column("timestamptz", { name: "created_at" }) createdAt: Date;
}
