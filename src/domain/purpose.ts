// Why someone reads customer data: the stated purpose that full PII requires and the audit log records.
export const PURPOSE_CODES = [
  "CASE_HANDLING",
  "COMPLAINT_INVESTIGATION",
  "CUSTOMER_REQUEST",
  "FRAUD_INVESTIGATION",
  "REGULATORY_REQUEST",
  "LEGAL_HOLD",
  "AUDIT",
  "DATA_SUBJECT_REQUEST",
] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CASE_REFERENCE = /^CS-\d{4}-\d{6}$/;

/**
 * A purpose is a reason code (case and "-"/"_" do not matter: "fraud-investigation") or a case the
 * access serves ("case:<id or reference>"). Anything else is no purpose at all; the value is returned
 * as given so the audit log shows what the client sent.
 */
export function parsePurpose(raw: string | null | undefined): string | null {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 80) return null;
  const caseRef = /^case:(.+)$/i.exec(raw);
  if (caseRef) return UUID.test(caseRef[1]) || CASE_REFERENCE.test(caseRef[1]) ? raw : null;
  const code = raw.toUpperCase().replace(/-/g, "_");
  return (PURPOSE_CODES as readonly string[]).includes(code) ? raw : null;
}
