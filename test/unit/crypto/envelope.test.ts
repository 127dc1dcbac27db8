import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  decryptField,
  encryptField,
  generateDataKey,
  unwrapDataKey,
  wrapDataKey,
} from "../../../src/crypto/envelope";
import { createKeyring } from "../../../src/crypto/keyring";
import { expectCryptoError } from "./helpers";

const keyV1 = randomBytes(32);
const keyV2 = randomBytes(32);
const ring1 = createKeyring({ 1: keyV1 }, 1);
const PHONE_AAD = "customer:c-1:phone";

describe("field encryption", () => {
  const dek = generateDataKey();

  it("round-trips text, including empty and non-ASCII", () => {
    for (const text of ["+33 6 12 34 56 78", "", "Zoë Ångström 日本 🏦"]) {
      const blob = encryptField(dek, text, PHONE_AAD);
      expect(blob[0]).toBe(0x01);
      expect(blob.length).toBe(1 + 12 + Buffer.byteLength(text) + 16);
      expect(decryptField(dek, blob, PHONE_AAD)).toBe(text);
    }
  });

  it("uses a fresh IV each time", () => {
    const a = encryptField(dek, "same", PHONE_AAD);
    const b = encryptField(dek, "same", PHONE_AAD);
    expect(a.equals(b)).toBe(false);
  });

  it.each([
    ["format byte", 0],
    ["IV", 1],
    ["IV end", 12],
    ["ciphertext body", 13],
    ["tag", -16],
    ["tag end", -1],
  ])("refuses a flipped bit in the %s", (_region, offset) => {
    const blob = encryptField(dek, "0612345678", PHONE_AAD);
    const index = offset < 0 ? blob.length + offset : offset;
    const tampered = Buffer.from(blob);
    tampered[index] ^= 0x01;
    expectCryptoError(() => decryptField(dek, tampered, PHONE_AAD), "DECRYPT_FAILED");
  });

  it("refuses an unknown format byte even with an otherwise intact blob", () => {
    const blob = encryptField(dek, "x", PHONE_AAD);
    blob[0] = 0x02;
    expectCryptoError(() => decryptField(dek, blob, PHONE_AAD), "DECRYPT_FAILED");
  });

  it("refuses truncated and empty blobs", () => {
    const blob = encryptField(dek, "0612345678", PHONE_AAD);
    for (const cut of [blob.subarray(0, blob.length - 1), blob.subarray(0, 28), blob.subarray(0, 1), Buffer.alloc(0)]) {
      expectCryptoError(() => decryptField(dek, cut, PHONE_AAD), "DECRYPT_FAILED");
    }
  });

  it("refuses a ciphertext moved to another field or another row", () => {
    const blob = encryptField(dek, "0612345678", PHONE_AAD);
    expectCryptoError(() => decryptField(dek, blob, "customer:c-1:email"), "DECRYPT_FAILED");
    expectCryptoError(() => decryptField(dek, blob, "customer:c-2:phone"), "DECRYPT_FAILED");
  });

  it("refuses the wrong data key", () => {
    const blob = encryptField(dek, "0612345678", PHONE_AAD);
    expectCryptoError(() => decryptField(generateDataKey(), blob, PHONE_AAD), "DECRYPT_FAILED");
  });

  it("rejects programmer errors with TypeError", () => {
    expect(() => encryptField(Buffer.alloc(16), "x", PHONE_AAD)).toThrow(TypeError);
    expect(() => encryptField(dek, "x", "")).toThrow(TypeError);
  });
});

describe("data key wrapping", () => {
  it("round-trips under the current master key", () => {
    const dek = generateDataKey();
    const { version, wrapped } = wrapDataKey(ring1, dek, "c-1");
    expect(version).toBe(1);
    expect(wrapped.length).toBe(12 + 32 + 16);
    expect(unwrapDataKey(ring1, version, wrapped, "c-1").equals(dek)).toBe(true);
  });

  it("refuses a wrapped key moved to another customer", () => {
    const { version, wrapped } = wrapDataKey(ring1, generateDataKey(), "c-1");
    expectCryptoError(() => unwrapDataKey(ring1, version, wrapped, "c-2"), "DECRYPT_FAILED");
  });

  it("refuses a tampered or truncated wrapped key", () => {
    const { version, wrapped } = wrapDataKey(ring1, generateDataKey(), "c-1");
    for (const index of [0, 20, wrapped.length - 1]) {
      const tampered = Buffer.from(wrapped);
      tampered[index] ^= 0x80;
      expectCryptoError(() => unwrapDataKey(ring1, version, tampered, "c-1"), "DECRYPT_FAILED");
    }
    expectCryptoError(() => unwrapDataKey(ring1, version, wrapped.subarray(0, 59), "c-1"), "DECRYPT_FAILED");
  });

  it("refuses an unknown master key version", () => {
    const { wrapped } = wrapDataKey(ring1, generateDataKey(), "c-1");
    expectCryptoError(() => unwrapDataKey(ring1, 2, wrapped, "c-1"), "UNKNOWN_KEY_VERSION");
  });

  it("refuses a key wrapped under one master key presented as another version", () => {
    const ring = createKeyring({ 1: keyV1, 2: keyV2 }, 2);
    const { wrapped } = wrapDataKey(ring, generateDataKey(), "c-1");
    expectCryptoError(() => unwrapDataKey(ring, 1, wrapped, "c-1"), "DECRYPT_FAILED");
  });

  it("still unwraps keys wrapped under an older version after rotation", () => {
    const dek = generateDataKey();
    const old = wrapDataKey(ring1, dek, "c-1");
    const rotated = createKeyring({ 1: keyV1, 2: keyV2 }, 2);
    expect(unwrapDataKey(rotated, old.version, old.wrapped, "c-1").equals(dek)).toBe(true);
    const rewrapped = wrapDataKey(rotated, dek, "c-1");
    expect(rewrapped.version).toBe(2);
    expect(unwrapDataKey(rotated, 2, rewrapped.wrapped, "c-1").equals(dek)).toBe(true);
  });

  it("reports a shredded (erased) data key as KEY_DESTROYED", () => {
    expectCryptoError(() => unwrapDataKey(ring1, 1, null, "c-1"), "KEY_DESTROYED");
    expectCryptoError(() => unwrapDataKey(ring1, 1, Buffer.alloc(0), "c-1"), "KEY_DESTROYED");
  });
});
