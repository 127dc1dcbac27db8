// Checks on case-handling input that need no database: narrative lengths, money, attachment metadata.
import { isCurrencyCode, isRedressAmount, isSurveyScore } from "../domain/case-resolution";
import { ATTACHMENT_MAX_BYTES, isMediaType, isPlainFileName, isSha256Hex } from "../domain/case-timeline";
import { badInput } from "../errors";
import type { ResolutionDetails } from "../store/case-resolution.store";
import type { AttachmentInput, ContactInput } from "../store/case-timeline.store";

/** A required narrative: trimmed, not empty, bounded. The error names the field, never the value. */
export function requiredText(field: string, value: string, max: number): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw badInput(`${field} is required`, field);
  if (trimmed.length > max) throw badInput(`${field} must be at most ${max} characters`, field);
  return trimmed;
}

export function optionalText(field: string, value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined || value.trim().length === 0) return null;
  return requiredText(field, value, max);
}

export function checkResolutionDetails(d: ResolutionDetails): ResolutionDetails {
  const amount = d.redressAmount?.trim() ?? null;
  const currency = d.redressCurrency?.trim().toUpperCase() ?? null;
  if (amount !== null && !isRedressAmount(amount)) throw badInput("redressAmount must be a decimal with at most 2 places", "redressAmount");
  if (currency !== null && !isCurrencyCode(currency)) throw badInput("redressCurrency must be an ISO 4217 code", "redressCurrency");
  const rootCauseCode = d.rootCauseCode?.trim().toUpperCase() ?? null;
  return { ...d, redressAmount: amount, redressCurrency: currency, rootCauseCode };
}

export function checkContact(c: ContactInput): ContactInput {
  if (Number.isNaN(c.occurredAt.getTime())) throw badInput("occurredAt is not a time", "occurredAt");
  return { ...c, summary: optionalText("summary", c.summary, 4000) };
}

export function checkAttachment(a: AttachmentInput): AttachmentInput {
  const fileName = a.fileName.trim();
  if (!isPlainFileName(fileName)) throw badInput("fileName must be a plain file name (no path), at most 255 characters", "fileName");
  const mediaType = a.mediaType.trim().toLowerCase();
  if (!isMediaType(mediaType)) throw badInput("mediaType must be a media type such as application/pdf", "mediaType");
  if (!Number.isInteger(a.sizeBytes) || a.sizeBytes < 0 || a.sizeBytes > ATTACHMENT_MAX_BYTES) throw badInput(`sizeBytes must be 0 to ${ATTACHMENT_MAX_BYTES}`, "sizeBytes");
  const sha256 = a.sha256.trim().toLowerCase();
  if (!isSha256Hex(sha256)) throw badInput("sha256 must be 64 hex digits", "sha256");
  return { fileName, mediaType, sizeBytes: a.sizeBytes, sha256 };
}

export function checkSurvey(score: number, comment: string | null | undefined): { score: number; comment: string | null } {
  if (!isSurveyScore(score)) throw badInput("score must be a whole number from 1 to 5", "score");
  return { score, comment: optionalText("comment", comment, 4000) };
}
