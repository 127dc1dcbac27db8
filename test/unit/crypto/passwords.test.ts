import { describe, expect, it } from "vitest";
import {
  DEFAULT_PASSWORD_PARAMS,
  hashPassword,
  needsRehash,
  PasswordVerifier,
  verifyPassword,
  type PasswordParams,
} from "../../../src/crypto/passwords";

// Small parameters keep the suite fast; one test below pins the production defaults.
const FAST: PasswordParams = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

// PHC string: $argon2id$v=19$<params in any order>$salt$hash
function encodedParams(hash: string): { id: string; params: Record<string, number> } {
  const [, id, , params] = hash.split("$");
  return { id, params: Object.fromEntries(params.split(",").map((kv) => [kv.split("=")[0], Number(kv.split("=")[1])])) };
}

describe("passwords", () => {
  it("hashes with argon2id and verifies", async () => {
    const hash = await hashPassword("correct horse", FAST);
    expect(encodedParams(hash)).toEqual({ id: "argon2id", params: { m: 1024, t: 1, p: 1 } });
    expect(await verifyPassword(hash, "correct horse")).toBe(true);
    expect(await verifyPassword(hash, "correct horsE")).toBe(false);
  });

  it("uses the OWASP minimum by default", async () => {
    const hash = await hashPassword("pw");
    expect(hash.startsWith("$argon2id$v=19$")).toBe(true);
    expect(encodedParams(hash)).toEqual({ id: "argon2id", params: { m: 19456, t: 2, p: 1 } });
    expect(needsRehash(hash, DEFAULT_PASSWORD_PARAMS)).toBe(false);
  });

  it("salts every hash", async () => {
    expect(await hashPassword("pw", FAST)).not.toBe(await hashPassword("pw", FAST));
  });

  it("returns false, never throws, for malformed hashes", async () => {
    for (const bad of ["", "not a hash", "$argon2id$v=19$m=1024,t=1,p=1$", "$2b$10$abcdefghijklmnopqrstuv"]) {
      expect(await verifyPassword(bad, "pw")).toBe(false);
    }
    expect(await verifyPassword(null as unknown as string, "pw")).toBe(false);
  });

  it("asks for a rehash when parameters change or the hash is not argon2id", async () => {
    const hash = await hashPassword("pw", FAST);
    expect(needsRehash(hash, FAST)).toBe(false);
    expect(needsRehash(hash, { ...FAST, memoryCost: 2048 })).toBe(true);
    expect(needsRehash(hash, { ...FAST, timeCost: 2 })).toBe(true);
    expect(needsRehash(hash, { ...FAST, parallelism: 2 })).toBe(true);
    expect(needsRehash(hash.replace("$argon2id$", "$argon2i$"), FAST)).toBe(true);
    expect(needsRehash("garbage", FAST)).toBe(true);
  });
});

describe("PasswordVerifier", () => {
  it("returns false for an unknown account, even when the password matches nothing or anything", async () => {
    const verifier = await PasswordVerifier.create(FAST);
    expect(await verifier.verifyOrDummy(null, "")).toBe(false);
    expect(await verifier.verifyOrDummy(null, "any password")).toBe(false);
  });

  it("verifies real hashes as usual", async () => {
    const verifier = await PasswordVerifier.create(FAST);
    const hash = await hashPassword("s3cret", FAST);
    expect(await verifier.verifyOrDummy(hash, "s3cret")).toBe(true);
    expect(await verifier.verifyOrDummy(hash, "wrong")).toBe(false);
  });
});
