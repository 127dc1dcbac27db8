// Storage shape of a team: one per business line in the demo, owner of that line's cases.
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";
import type { BusinessLine } from "../domain/enums";

@Entity("team")
export class TeamEntity {
  @PrimaryGeneratedColumn("uuid") id: string;
  @Column("text") name: string;
  @Column("text", { name: "business_line" }) businessLine: BusinessLine;
  @CreateDateColumn({ name: "created_at", type: "timestamptz" }) createdAt: Date;
}
