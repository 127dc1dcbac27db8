// The subjects, actions and fields that policies speak about, and who a principal is.
import type { BusinessLine, Role } from "../domain/enums";
import { CUSTOMER_PII_FIELDS } from "../domain/enums";

export type Action = "read" | "create" | "update" | "manage";
export type SubjectName = "Customer" | "Case" | "AuditEvent" | "StaffUser" | "all";

export interface Principal {
  readonly id: string;
  readonly role: Role;
  readonly businessLine: BusinessLine | null;
  readonly teamId: string | null;
}

export const CUSTOMER_PUBLIC_FIELDS = ["id", "reference", "businessLines", "status", "createdAt", "updatedAt"] as const;
export const CUSTOMER_FIELDS = [...CUSTOMER_PUBLIC_FIELDS, ...CUSTOMER_PII_FIELDS, "transactions", "cases"] as const;

/** Case fields that carry customer narrative (PII); everything else on a case is operational. */
export const CASE_PII_FIELDS = ["summary", "notes"] as const;
export const CASE_PUBLIC_FIELDS = [
  "id",
  "reference",
  "customerId",
  "channel",
  "kind",
  "category",
  "complexity",
  "businessLine",
  "teamId",
  "status",
  "assigneeId",
  "receivedAt",
  "firstResponseDueAt",
  "resolutionDueAt",
  "callbackDueAt",
  "regulatoryDueAt",
  "firstRespondedAt",
  "resolvedAt",
  "closedAt",
  "createdAt",
  "updatedAt",
] as const;
export const CASE_FIELDS = [...CASE_PUBLIC_FIELDS, ...CASE_PII_FIELDS] as const;

export const FIELDS_OF: Record<Exclude<SubjectName, "all">, readonly string[]> = {
  Customer: CUSTOMER_FIELDS,
  Case: CASE_FIELDS,
  AuditEvent: [],
  StaffUser: [],
};
