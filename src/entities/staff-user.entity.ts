// Storage shape of a staff member or internal identity; the password hash never leaves the auth service.
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import type { BusinessLine, Role } from "../domain/enums";

@Entity("staff_user")
export class StaffUserEntity {
  @PrimaryGeneratedColumn("uuid") id: string;
  @Column("text") email: string;
  @Column("text", { name: "display_name" }) displayName: string;
  @Column("text") role: Role;
  @Column("text", { name: "business_line", nullable: true }) businessLine: BusinessLine | null;
  @Column("uuid", { name: "team_id", nullable: true }) teamId: string | null;
  @Column("text", { name: "password_hash" }) passwordHash: string;
  @Column("boolean") active: boolean;
  @CreateDateColumn({ name: "created_at", type: "timestamptz" }) createdAt: Date;
  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" }) updatedAt: Date;
}
