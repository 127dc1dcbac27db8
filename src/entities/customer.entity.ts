// Storage shape of a customer: PII only as ciphertext and keyed blind indexes, never in clear.
import { Column, Entity, PrimaryColumn } from "typeorm";
import type { BusinessLine } from "../domain/enums";

@Entity("customer")
export class CustomerEntity {
  @PrimaryColumn("uuid") id: string;
  @Column("text") reference: string;
  @Column("text", { name: "business_lines", array: true }) businessLines: BusinessLine[];
  @Column("text") status: "ACTIVE" | "CLOSED" | "ERASED";
  @Column("bytea", { name: "full_name_enc" }) fullNameEnc: Buffer;
  @Column("bytea", { name: "national_id_enc" }) nationalIdEnc: Buffer;
  @Column("bytea", { name: "phone_enc", nullable: true }) phoneEnc: Buffer | null;
  @Column("bytea", { name: "email_enc", nullable: true }) emailEnc: Buffer | null;
  @Column("bytea", { name: "address_enc", nullable: true }) addressEnc: Buffer | null;
  @Column("bytea", { name: "national_id_bidx", nullable: true }) nationalIdBidx: Buffer | null;
  @Column("bytea", { name: "phone_bidx", nullable: true }) phoneBidx: Buffer | null;
  @Column("bytea", { name: "email_bidx", nullable: true }) emailBidx: Buffer | null;
  /** The blind-index key version all three *_bidx columns of this row were computed under. */
  @Column("integer", { name: "bidx_version" }) bidxVersion: number;
  @Column("uuid", { name: "created_by", nullable: true }) createdBy: string | null;
  @Column("timestamptz", { name: "created_at" }) createdAt: Date;
  @Column("timestamptz", { name: "updated_at" }) updatedAt: Date;
  @Column("integer") version: number;
  @Column("timestamptz", { name: "erased_at", nullable: true }) erasedAt: Date | null;
}

@Entity("customer_key")
export class CustomerKeyEntity {
  @PrimaryColumn("uuid", { name: "customer_id" }) customerId: string;
  @Column("integer", { name: "kek_version" }) kekVersion: number;
  /** null: destroyed by erasure (crypto-shredding). */
  @Column("bytea", { name: "wrapped_dek", nullable: true }) wrappedDek: Buffer | null;
  @Column("timestamptz", { name: "created_at" }) createdAt: Date;
  @Column("timestamptz", { name: "rewrapped_at", nullable: true }) rewrappedAt: Date | null;
}

/** A legal hold blocks erasure of the customer while released_at is null. */
@Entity("legal_hold")
export class LegalHoldEntity {
  @PrimaryColumn("uuid") id: string;
  @Column("uuid", { name: "customer_id" }) customerId: string;
  @Column("text") reason: string;
  @Column("uuid", { name: "placed_by" }) placedBy: string;
  @Column("timestamptz", { name: "placed_at" }) placedAt: Date;
  @Column("uuid", { name: "released_by", nullable: true }) releasedBy: string | null;
  @Column("timestamptz", { name: "released_at", nullable: true }) releasedAt: Date | null;
}

@Entity("customer_transaction")
export class CustomerTransactionEntity {
  @PrimaryColumn("uuid") id: string;
  @Column("uuid", { name: "customer_id" }) customerId: string;
  @Column("text", { name: "business_line" }) businessLine: BusinessLine;
  @Column("timestamptz", { name: "occurred_at" }) occurredAt: Date;
  @Column("text") kind: string;
  @Column("bigint", { name: "amount_minor" }) amountMinor: string;
  @Column("character", { length: 3 }) currency: string;
  @Column("text") description: string;
}
