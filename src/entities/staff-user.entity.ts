// Storage shape of a staff member or internal identity; the password hash never leaves the auth service.
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import type { BusinessLine, StaffRole } from "../domain/enums";

@Entity("staff_user")
export class StaffUserEntity {
  @PrimaryGeneratedColumn("uuid") id: string;
  @Column("text") email: string;
  @Column("text", { name: "display_name" }) displayName: string;
  @Column("text") role: StaffRole;
  @Column("text", { name: "business_line", nullable: true }) businessLine: BusinessLine | null;
  @Column("uuid", { name: "team_id", nullable: true }) teamId: string | null;
  @Column("text", { name: "password_hash" }) passwordHash: string;
  @Column("boolean") active: boolean;
  /** Tokens issued (iat, whole seconds) before this instant are void; null = no cut-off. */
  @Column("timestamptz", { name: "tokens_valid_after", nullable: true }) tokensValidAfter: Date | null;
  @Column("timestamptz", { name: "password_changed_at", nullable: true }) passwordChangedAt: Date | null;
  /** AUDITOR accounts only: access ends by itself at this instant. */
  @Column("timestamptz", { name: "access_expires_at", nullable: true }) accessExpiresAt: Date | null;
  @CreateDateColumn({ name: "created_at", type: "timestamptz" }) createdAt: Date;
  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" }) updatedAt: Date;
}
