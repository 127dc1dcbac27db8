// Checkpoint JWS, the directory sink and the cross-check of database and outside copies: pure parts, no database.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CompactSign } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectCheckpoints, firstFinding } from "../../../src/audit/checkpoint-check";
import {
  CHECKPOINT_TYP,
  CheckpointError,
  checkpointJwks,
  importCheckpointKey,
  importCheckpointPublicJwk,
  signCheckpoint,
  verifyCheckpoint,
  type CheckpointSigningKey,
  type SignedCheckpoint,
} from "../../../src/audit/checkpoint-jws";
import { CheckpointSinkConflict, DirectorySink, checkpointFileName } from "../../../src/audit/checkpoint-sink";
import type { StoredCheckpoint } from "../../../src/audit/checkpoint-store";
import { generateKeyMaterial, generateSigningKey, parseKeyMaterial } from "../../../src/crypto/key-material";

const H1 = "a".repeat(64);
const H2 = "b".repeat(64);
const AT = new Date("2026-11-28T10:58:38.123Z");
let key: CheckpointSigningKey;
let other: CheckpointSigningKey;
let dir: string;

beforeAll(async () => {
  key = await importCheckpointKey(await generateSigningKey());
  other = await importCheckpointKey(await generateSigningKey());
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "custos-cp-"));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const reason = async (p: Promise<unknown>) => {
  const error = await p.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(CheckpointError);
  return (error as CheckpointError).reason;
};

describe("checkpoint JWS", () => {
  it("signs {v, seq, headHash, issuedAt, kid} as canonical JSON under EdDSA with its own typ, and verifies", async () => {
    const cp = await signCheckpoint(key, { seq: 42, hash: H1 }, AT);
    expect(cp).toMatchObject({ v: 1, seq: 42, headHash: H1, issuedAt: "2026-11-28T10:58:38.123Z", kid: key.kid });
    const [header, payload] = cp.jws.split(".").map((p) => Buffer.from(p, "base64url").toString("utf8"));
    expect(JSON.parse(header)).toEqual({ alg: "EdDSA", typ: CHECKPOINT_TYP, kid: key.kid });
    expect(payload).toBe(`{"headHash":"${H1}","issuedAt":"2026-11-28T10:58:38.123Z","kid":"${key.kid}","seq":42,"v":1}`);
    expect(await verifyCheckpoint(cp.jws, [other, key])).toEqual(cp);
  });

  it("verifies with the published JWK alone (what an outside auditor holds)", async () => {
    const cp = await signCheckpoint(key, { seq: 1, hash: H1 }, AT);
    const [jwk] = checkpointJwks([key]).keys;
    expect(jwk).toEqual({ kty: "OKP", crv: "Ed25519", x: key.publicJwk.x, kid: key.kid, alg: "EdDSA", use: "sig" });
    expect("d" in jwk).toBe(false);
    expect((await verifyCheckpoint(cp.jws, [await importCheckpointPublicJwk(jwk)])).seq).toBe(1);
  });

  it("refuses a payload changed after signing, an unknown kid, a wrong typ and junk", async () => {
    const cp = await signCheckpoint(key, { seq: 7, hash: H1 }, AT);
    const [h, , s] = cp.jws.split(".");
    const forgedPayload = Buffer.from(JSON.stringify({ headHash: H2, issuedAt: cp.issuedAt, kid: key.kid, seq: 7, v: 1 })).toString("base64url");
    expect(await reason(verifyCheckpoint(`${h}.${forgedPayload}.${s}`, [key]))).toBe("bad_signature");
    expect(await reason(verifyCheckpoint(cp.jws, [other]))).toBe("unknown_kid");
    expect(await reason(verifyCheckpoint("not a jws", [key]))).toBe("malformed");
    const wrongTyp = await new CompactSign(Buffer.from("{}")).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: key.kid }).sign(key.privateKey);
    expect(await reason(verifyCheckpoint(wrongTyp, [key]))).toBe("bad_header");
  });

  it("refuses a validly signed payload that is not a canonical checkpoint", async () => {
    const sign = (text: string) => new CompactSign(Buffer.from(text)).setProtectedHeader({ alg: "EdDSA", typ: CHECKPOINT_TYP, kid: key.kid }).sign(key.privateKey);
    const spaced = `{"v":1,"seq":3,"headHash":"${H1}","issuedAt":"2026-11-28T10:58:38.123Z","kid":"${key.kid}"}`;
    expect(await reason(verifyCheckpoint(await sign(spaced), [key]))).toBe("bad_payload");
    const otherKid = `{"headHash":"${H1}","issuedAt":"2026-11-28T10:58:38.123Z","kid":"someone-else","seq":3,"v":1}`;
    expect(await reason(verifyCheckpoint(await sign(otherKid), [key]))).toBe("bad_payload");
    const upper = `{"headHash":"${H1.toUpperCase()}","issuedAt":"2026-11-28T10:58:38.123Z","kid":"${key.kid}","seq":3,"v":1}`;
    expect(await reason(verifyCheckpoint(await sign(upper), [key]))).toBe("bad_payload");
  });

  it("refuses to sign a head that is not a position of the chain", async () => {
    await expect(signCheckpoint(key, { seq: 0, hash: H1 }, AT)).rejects.toThrow(TypeError);
    await expect(signCheckpoint(key, { seq: 1, hash: "abc" }, AT)).rejects.toThrow(TypeError);
  });
});

describe("checkpointSigning in the key material", () => {
  it("is generated as a key of its own and round-trips", async () => {
    const material = await generateKeyMaterial();
    expect(material.checkpointSigning!.kid).not.toBe(material.tokenSigning.current);
    expect(parseKeyMaterial(JSON.stringify(material)).checkpointSigning).toEqual(material.checkpointSigning);
  });

  it("is optional (older development files) but never a token signing key", async () => {
    const material = await generateKeyMaterial();
    const { checkpointSigning: _omit, ...without } = material;
    expect(parseKeyMaterial(JSON.stringify(without)).checkpointSigning).toBeUndefined();
    const reused = { ...material, checkpointSigning: { kid: "cp", privateJwk: material.tokenSigning.keys[0].privateJwk } };
    expect(() => parseKeyMaterial(JSON.stringify(reused))).toThrow(/key of its own/);
  });
});

describe("DirectorySink", () => {
  it("files one read-only checkpoint per seq under a padded name, in seq order", async () => {
    const sink = new DirectorySink(path.join(dir, "a"));
    expect(await sink.latest()).toBeNull();
    const c10 = await signCheckpoint(key, { seq: 10, hash: H1 }, AT);
    const c9 = await signCheckpoint(key, { seq: 9, hash: H2 }, AT);
    await sink.write(c10);
    await sink.write(c9);
    expect(await fs.readdir(sink.location)).toEqual([checkpointFileName(9), checkpointFileName(10)]);
    expect(checkpointFileName(10)).toBe("0000000000000010.jws");
    expect(await sink.list()).toEqual([{ seq: 9, jws: c9.jws }, { seq: 10, jws: c10.jws }]);
    expect(await sink.latest()).toEqual({ seq: 10, jws: c10.jws });
    if (process.platform !== "win32") expect((await fs.stat(path.join(sink.location, checkpointFileName(10)))).mode & 0o777).toBe(0o444);
  });

  it("never overwrites: the same checkpoint again is a no-op, a different one for the seq is a conflict", async () => {
    const sink = new DirectorySink(path.join(dir, "b"));
    const first = await signCheckpoint(key, { seq: 5, hash: H1 }, AT);
    await sink.write(first);
    await sink.write(first);
    const rival = await signCheckpoint(key, { seq: 5, hash: H2 }, AT);
    await expect(sink.write(rival)).rejects.toBeInstanceOf(CheckpointSinkConflict);
    expect(await sink.list()).toEqual([{ seq: 5, jws: first.jws }]);
    expect((await fs.readdir(sink.location)).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});

describe("collectCheckpoints / firstFinding", () => {
  const row = (cp: SignedCheckpoint): StoredCheckpoint => ({ seq: cp.seq, headHash: cp.headHash, issuedAt: cp.issuedAt, kid: cp.kid, jws: cp.jws });
  const file = (cp: SignedCheckpoint) => ({ seq: cp.seq, jws: cp.jws });

  it("trusts heads both copies agree on and offers them as starting points", async () => {
    const a = await signCheckpoint(key, { seq: 3, hash: H1 }, AT);
    const b = await signCheckpoint(key, { seq: 6, hash: H2 }, AT);
    const set = await collectCheckpoints([row(a), row(b)], [file(a)], [key]);
    expect(set.findings).toEqual([]);
    expect(set.agreed).toEqual([3]);
    expect([...set.heads]).toEqual([[3, H1], [6, H2]]);
    expect(set.maxSeq).toBe(6);
  });

  it("reports an outside checkpoint the database lacks or contradicts, and a forged copy", async () => {
    const a = await signCheckpoint(key, { seq: 3, hash: H1 }, AT);
    const a2 = await signCheckpoint(key, { seq: 3, hash: H2 }, AT);
    const b = await signCheckpoint(key, { seq: 6, hash: H2 }, AT);
    const forged = await signCheckpoint(other, { seq: 9, hash: H1 }, AT);
    const set = await collectCheckpoints([row(a2)], [file(a), file(b), file(forged)], [key]);
    expect(set.findings).toEqual([
      { seq: 3, reason: "CHECKPOINT_MISMATCH", expected: H1, found: H2, source: "database" },
      { seq: 6, reason: "CHECKPOINT_MISMATCH", expected: H2, found: "missing", source: "database" },
      { seq: 9, reason: "CHECKPOINT_INVALID", expected: "valid signed checkpoint", found: "unknown_kid", source: "sink" },
    ]);
    expect(set.heads.get(3)).toBe(H1); // the outside copy wins
  });

  it("reports a database row whose columns no longer say what its signature says", async () => {
    const a = await signCheckpoint(key, { seq: 3, hash: H1 }, AT);
    const set = await collectCheckpoints([{ ...row(a), headHash: H2 }], null, [key]);
    expect(set.findings).toEqual([{ seq: 3, reason: "CHECKPOINT_INVALID", expected: H1, found: H2, source: "database" }]);
  });

  it("firstFinding takes the lowest seq and, at one seq, the chain's own finding", () => {
    const gap = { seq: 4, reason: "SEQ_GAP" as const, expected: "4", found: "5" };
    const bad = { seq: 4, reason: "CHECKPOINT_INVALID" as const, expected: "x", found: "y" };
    const later = { seq: 9, reason: "TRUNCATED" as const, expected: "9", found: "8" };
    expect(firstFinding([later, bad, null, gap])).toBe(gap);
    expect(firstFinding([null])).toBeNull();
  });
});
