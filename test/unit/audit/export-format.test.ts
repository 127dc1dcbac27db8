// CSV cells (RFC 4180 quoting, formula neutralising) and JSON lines of the trail export.
import { describe, expect, it } from "vitest";
import { csvCell, csvHeader, renderExport } from "../../../src/audit/export-format";
import type { SealedAuditEvent } from "../../../src/audit/core";

const EVENT: SealedAuditEvent = {
  seq: 7, occurredAt: "2026-11-03T10:00:00.000Z", actorId: null, actorRole: null, action: "customer.read", resourceType: "customer",
  resourceId: "=cmd|' /C calc'!A0", fields: ["email", "fullName"], outcome: "SUCCESS", requestId: "r,1", operation: null,
  clientAddress: null, purpose: "CASE_HANDLING", details: { note: 'say "hi"' }, prevHash: "0".repeat(64), hash: "f".repeat(64),
};

describe("csvCell", () => {
  it.each([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\r\nlines", '"two\r\nlines"'],
    ["=1+2", "'=1+2"],
    ["+1", "'+1"],
    ["-1", "'-1"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tx", "'\tx"],
    ["=a,b", `"'=a,b"`],
  ])("%j → %j", (input, output) => {
    expect(csvCell(input)).toBe(output);
  });

  it("leaves numbers and empty values alone", () => {
    expect(csvCell(-3)).toBe("-3");
    expect(csvCell(null)).toBe("");
  });
});

describe("renderExport", () => {
  it("writes a CSV header and CRLF rows, details as JSON text", () => {
    const csv = renderExport("CSV", [EVENT]);
    expect(csv.startsWith(csvHeader())).toBe(true);
    expect(csv.endsWith("\r\n")).toBe(true);
    expect(csv).toContain(`,'=cmd|' /C calc'!A0,`);
    expect(csv).toContain(`"{""note"":""say \\""hi\\""""}"`);
    expect(csv).toContain(",email;fullName,");
  });

  it("writes one JSON object per line", () => {
    const lines = renderExport("JSONL", [EVENT, { ...EVENT, seq: 8 }]).split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((l) => JSON.parse(l).seq)).toEqual([7, 8]);
    expect(JSON.parse(lines[0])).toEqual(EVENT);
  });
});
