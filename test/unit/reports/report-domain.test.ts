// The pure parts of the regulators' reports: business days and the third-business-day deadline (weekends,
// holidays, time zones, DST), closure buckets at their edges, shares, and the detached signature (verifies;
// refused after one changed byte, under another key, with a forged checkpoint).
import { CompactSign } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { importCheckpointKey, signCheckpoint, type CheckpointSigningKey } from "../../../src/audit/checkpoint-jws";
import { generateSigningKey } from "../../../src/crypto/key-material";
import { businessDayDeadline, localDateOf, weekStart, type ReportCalendar } from "../../../src/domain/report-calendar";
import { closureBucket, productCategory, share } from "../../../src/domain/report-complaints";
import { trainingState } from "../../../src/domain/report-status";
import { renderPdf } from "../../../src/reports/report-pdf";
import { REPORT_TYP, ReportSignatureError, reportSignaturePayload, sha256Hex, signReportPayload, verifyReportSignature } from "../../../src/reports/report-signature";
import { renderXlsx } from "../../../src/reports/report-xlsx";

const utc: ReportCalendar = { timeZone: "UTC", workingWeekdays: new Set([1, 2, 3, 4, 5]), holidays: new Set() };
const D = (iso: string) => new Date(iso);

describe("business days", () => {
  it("counts from the day after receipt, skipping the weekend", () => {
    // Fri 6 Nov 2026 → Mon 9 (1), Tue 10 (2), Wed 11 (3): deadline Thu 12 00:00.
    expect(businessDayDeadline(utc, D("2026-11-06T16:59:00Z"), 3).toISOString()).toBe("2026-11-12T00:00:00.000Z");
    // Received on Saturday: the same three days.
    expect(businessDayDeadline(utc, D("2026-11-07T12:00:00Z"), 3).toISOString()).toBe("2026-11-12T00:00:00.000Z");
    // Received Monday 00:00: Tue, Wed, Thu → Fri 00:00 (the receipt day never counts).
    expect(businessDayDeadline(utc, D("2026-11-09T00:00:00Z"), 3).toISOString()).toBe("2026-11-13T00:00:00.000Z");
  });

  it("skips holidays and reads dates in the calendar's zone", () => {
    const cal = { ...utc, holidays: new Set(["2026-11-10"]) };
    expect(businessDayDeadline(cal, D("2026-11-06T10:00:00Z"), 3).toISOString()).toBe("2026-11-13T00:00:00.000Z");
    // 2026-11-06T17:00Z is already Saturday 01:00 in Shanghai: Mon 9, Tue 10, Wed 11 → Thu 12 00:00 +08:00.
    const cn = { ...utc, timeZone: "Asia/Shanghai" };
    expect(localDateOf("Asia/Shanghai", D("2026-11-06T17:00:00Z"))).toBe("2026-11-07");
    expect(businessDayDeadline(cn, D("2026-11-06T17:00:00Z"), 3).toISOString()).toBe("2026-11-11T16:00:00.000Z");
  });

  it("ends the day at local midnight across a DST change", () => {
    // London leaves summer time on Sun 25 Oct 2026. Received Thu 22 Oct: Fri 23, Mon 26, Tue 27 → Wed 28 00:00 GMT.
    const london = { ...utc, timeZone: "Europe/London" };
    expect(businessDayDeadline(london, D("2026-10-22T10:00:00Z"), 3).toISOString()).toBe("2026-10-28T00:00:00.000Z");
    // Received Wed 21 Oct: Thu 22, Fri 23, Mon 26 → Tue 27 00:00 GMT.
    expect(businessDayDeadline(london, D("2026-10-21T10:00:00Z"), 3).toISOString()).toBe("2026-10-27T00:00:00.000Z");
    // Received Mon 19 Oct: Tue, Wed, Thu → Fri 23 00:00 BST = 22 Oct 23:00Z.
    expect(businessDayDeadline(london, D("2026-10-19T10:00:00Z"), 3).toISOString()).toBe("2026-10-22T23:00:00.000Z");
  });

  it("weeks start on Monday", () => {
    expect(weekStart("2026-11-08")).toBe("2026-11-02");
    expect(weekStart("2026-11-09")).toBe("2026-11-09");
  });
});

describe("closure buckets, shares, categories, training states", () => {
  const received = D("2026-11-06T10:00:00Z"); // deadline Thu 12 Nov 00:00
  it.each([
    ["2026-11-11T23:59:59.999Z", "WITHIN_3_BUSINESS_DAYS"],
    ["2026-11-12T00:00:00.000Z", "WITHIN_15_DAYS"],
    ["2026-11-21T10:00:00.000Z", "WITHIN_15_DAYS"], // exactly 15 × 24 h
    ["2026-11-21T10:00:00.001Z", "WITHIN_30_DAYS"],
    ["2026-12-06T10:00:00.000Z", "WITHIN_30_DAYS"], // 30 d
    ["2027-01-05T10:00:00.000Z", "WITHIN_60_DAYS"], // 60 d
    ["2027-01-05T10:00:00.001Z", "LATER"],
  ])("closed %s → %s", (closed, bucket) => {
    expect(closureBucket(utc, received, D(closed))).toBe(bucket);
  });

  it("rounds shares half up to 4 decimals, null when nothing was decided", () => {
    expect(share(4, 6)).toBe("0.6667");
    expect(share(1, 3)).toBe("0.3333");
    expect(share(1, 8)).toBe("0.1250");
    expect(share(1, 20000)).toBe("0.0001"); // 0.00005 rounds up
    expect(share(3, 3)).toBe("1.0000");
    expect(share(0, 0)).toBeNull();
  });

  it("takes the product from a dotted category", () => {
    expect(productCategory("card.dispute")).toBe("card");
    expect(productCategory("fees")).toBe("fees");
  });

  it("judges training at an instant", () => {
    const at = D("2026-11-15T00:00:00Z");
    expect(trainingState(null, at)).toBe("NEVER_TRAINED");
    expect(trainingState(at, at)).toBe("EXPIRED");
    expect(trainingState(D("2026-12-15T00:00:00Z"), at)).toBe("EXPIRING");
    expect(trainingState(D("2026-12-15T00:00:00.001Z"), at)).toBe("CURRENT");
  });
});

describe("report signature", () => {
  let key: CheckpointSigningKey;
  let other: CheckpointSigningKey;
  let checkpoint: { seq: number; rootHash: string; jws: string };
  const file = Buffer.from("table,row,column,value\r\nsummary,received,value,6\r\n");

  const sign = async (bytes: Buffer, k = key, cp = checkpoint) =>
    signReportPayload(
      reportSignaturePayload({ kind: "complaints", format: "csv", sha256: sha256Hex(bytes), size: bytes.length, from: "2026-11-01T00:00:00.000Z", to: "2026-12-01T00:00:00.000Z", generatedAt: "2026-12-02T00:00:00.000Z", checkpoint: cp, kid: k.kid }),
      k,
    );
  const code = async (bytes: Buffer, jws: string, keys = [key]) => {
    try {
      await verifyReportSignature(bytes, jws, keys);
      return null;
    } catch (error) {
      expect(error).toBeInstanceOf(ReportSignatureError);
      return (error as ReportSignatureError).code;
    }
  };

  beforeAll(async () => {
    key = await importCheckpointKey(await generateSigningKey());
    other = await importCheckpointKey(await generateSigningKey());
    const cp = await signCheckpoint(key, { seq: 7, hash: "ab".repeat(32) }, D("2026-12-01T23:00:00Z"), "cd".repeat(32));
    checkpoint = { seq: 7, rootHash: cp.rootHash!, jws: cp.jws };
  });

  it("verifies, and fails after any one byte of the file changes", async () => {
    const jws = await sign(file);
    expect(await code(file, jws)).toBeNull();
    for (const i of [0, 10, file.length - 1]) {
      const changed = Buffer.from(file);
      changed[i] ^= 0x01;
      expect(await code(changed, jws)).toBe("HASH_MISMATCH");
    }
    expect(await code(Buffer.concat([file, Buffer.from(" ")]), jws)).toBe("HASH_MISMATCH");
  });

  it("refuses another key, a changed signature, a foreign typ and a checkpoint that is not the one named", async () => {
    const jws = await sign(file);
    expect(await code(file, jws, [other])).toBe("UNKNOWN_KID");
    const forged = await sign(file, { ...other, kid: key.kid });
    expect(await code(file, forged)).toBe("BAD_SIGNATURE");
    const [h, p, s] = jws.split(".");
    // A character in the middle: the last one also carries padding bits, so changing it may not change the bytes.
    expect(await code(file, `${h}.${p}.${s.slice(0, 10)}${s[10] === "A" ? "B" : "A"}${s.slice(11)}`)).toBe("BAD_SIGNATURE");
    const typed = await new CompactSign(Buffer.from(Buffer.from(p, "base64url"))).setProtectedHeader({ alg: "EdDSA", typ: "custos-checkpoint+jws", kid: key.kid }).sign(key.privateKey);
    expect(await code(file, typed)).toBe("BAD_HEADER");
    expect(REPORT_TYP).toBe("custos-report+jws");
    // The checkpoint's root claimed by the report differs from the one the checkpoint signs.
    const wrongRoot = await sign(file, key, { ...checkpoint, rootHash: "ef".repeat(32) });
    expect(await code(file, wrongRoot)).toBe("CHECKPOINT_INVALID");
    // A checkpoint signed by a key the verifier does not hold.
    const foreign = await signCheckpoint(other, { seq: 7, hash: "ab".repeat(32) }, D("2026-12-01T23:00:00Z"), "cd".repeat(32));
    expect(await code(file, await sign(file, key, { seq: 7, rootHash: foreign.rootHash!, jws: foreign.jws }))).toBe("CHECKPOINT_INVALID");
  });
});

describe("renderers are deterministic", () => {
  const doc = {
    title: "Complaint-handling return",
    kind: "complaints" as const,
    from: "2026-11-01T00:00:00.000Z",
    to: "2026-12-01T00:00:00.000Z",
    provenance: { generatedAt: "2026-12-02T03:04:06.000Z", generator: "g", checkpoint: { seq: 1, rootHash: "ab".repeat(32), kid: "k" } },
    tables: [{ id: "weekly", title: "Per week", columns: ["week_start", "received"], rows: [["2026-11-02", 3], ["2026-11-09", 0]] }],
    charts: [{ title: "Complaints per week", labels: ["2026-11-02", "2026-11-09"], series: [{ name: "received", values: [3, 0] }] }],
  };

  it("XLSX: the same bytes at another wall-clock time, every zip entry dated generatedAt", async () => {
    const a = await renderXlsx(doc);
    await new Promise((r) => setTimeout(r, 2100)); // DOS times have 2-second steps
    const b = await renderXlsx(doc);
    expect(a.equals(b)).toBe(true);
    // Local header of the first entry: time 03:04:06 → (3 << 11) | (4 << 5) | 3; date (46 << 9) | (12 << 5) | 2.
    expect(a.readUInt32LE(0)).toBe(0x04034b50);
    expect(a.readUInt16LE(10)).toBe((3 << 11) | (4 << 5) | 3);
    expect(a.readUInt16LE(12)).toBe((46 << 9) | (12 << 5) | 2);
  });

  it("PDF: the same bytes twice", async () => {
    expect((await renderPdf(doc)).equals(await renderPdf(doc))).toBe(true);
  });
});
