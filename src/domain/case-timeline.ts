// The vocabulary of a case's timeline: customer contacts and attachment metadata (no file is stored).

export const CONTACT_KINDS = ["CALL", "EMAIL", "CALLBACK", "CHAT", "LETTER", "MEETING"] as const;
export type ContactKind = (typeof CONTACT_KINDS)[number];

export const CONTACT_DIRECTIONS = ["INBOUND", "OUTBOUND"] as const;
export type ContactDirection = (typeof CONTACT_DIRECTIONS)[number];

export const CONTACT_OUTCOMES = ["REACHED", "NO_ANSWER", "VOICEMAIL", "SENT", "RECEIVED", "BOUNCED", "CALLBACK_REQUESTED"] as const;
export type ContactOutcome = (typeof CONTACT_OUTCOMES)[number];

/**
 * Whether a contact answers the customer (ends the first-response clock): we spoke to them or a message
 * of ours reached them. An unanswered call is an attempt, not an answer.
 */
export function contactAnswersCustomer(direction: ContactDirection, outcome: ContactOutcome): boolean {
  return direction === "OUTBOUND" && (outcome === "REACHED" || outcome === "SENT");
}

/** A media type as RFC 6838 restricts it (type/subtype, no parameters). */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
export const ATTACHMENT_MAX_BYTES = 100 * 1024 * 1024;

export function isMediaType(value: string): boolean {
  return MEDIA_TYPE.test(value);
}

export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

/** A file name without a path or control characters: a path could leak the uploader's folders. */
export function isPlainFileName(value: string): boolean {
  return value.length > 0 && value.length <= 255 && !/[\/\\\u0000-\u001f\u007f]/.test(value) && value !== "." && value !== "..";
}
