// How a PII value looks to a role that may only see it masked: enough to recognise, not to use.
import type { CustomerPiiField } from "./enums";

function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, "");
  if (digits.length < 8) return "****";
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

function maskNationalId(value: string): string {
  const compact = value.replace(/\s/g, "");
  return compact.length <= 4 ? "****" : `****${compact.slice(-4)}`;
}

function maskEmail(value: string): string {
  const at = value.lastIndexOf("@");
  if (at < 1) return "***";
  return `${value[0]}***@${value.slice(at + 1)}`;
}

function maskName(value: string): string {
  return value
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => `${[...part][0]}***`)
    .join(" ");
}

const MASKERS: Record<CustomerPiiField, (value: string) => string> = {
  fullName: maskName,
  nationalId: maskNationalId,
  phone: maskPhone,
  email: maskEmail,
  // Any part of an address can identify someone; masked, it shows only that one is on file.
  address: () => "***",
};

export function maskPii(field: CustomerPiiField, value: string): string {
  return MASKERS[field](value);
}

/** Case narratives cannot be masked meaningfully: a masked narrative says only that one exists. */
export const MASKED_TEXT = "[restricted]";
