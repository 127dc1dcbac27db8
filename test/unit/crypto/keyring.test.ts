import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/clock";
import { generateKeyMaterial, loadOrCreateKeyFile } from "../../../src/crypto/key-material";
import { createKeyring, LocalKeyProvider, SIGNING_KEYS_RECHECK_MS } from "../../../src/crypto/keyring";
import { rotateSigningKeyFile } from "../../../src/crypto/rotate-signing";
import { expectCryptoError } from "./helpers";

describe("createKeyring", () => {
  it("accepts numeric and string versions and copies the keys", () => {
    const key = randomBytes(32);
    const ring = createKeyring({ "1": key, 2: randomBytes(32) }, 2);
    expect(ring.current).toBe(2);
    expect([...ring.keys.keys()].sort()).toEqual([1, 2]);
    const before = Buffer.from(key);
    key.fill(0);
    expect(ring.keys.get(1)!.equals(before)).toBe(true);
  });

  it("refuses keys of the wrong length or all zeros as BAD_KEY_MATERIAL", () => {
    expectCryptoError(() => createKeyring({ 1: randomBytes(16) }, 1), "BAD_KEY_MATERIAL");
    expectCryptoError(() => createKeyring({ 1: Buffer.alloc(32) }, 1), "BAD_KEY_MATERIAL");
    expectCryptoError(() => createKeyring({ 1: randomBytes(32) }, 2), "BAD_KEY_MATERIAL");
  });

  it("refuses programmer errors with TypeError", () => {
    expect(() => createKeyring({ 1: randomBytes(32) }, 0)).toThrow(TypeError);
    expect(() => createKeyring({ "01": randomBytes(32) }, 1)).toThrow(TypeError);
    expect(() => createKeyring({ x: randomBytes(32) }, 1)).toThrow(TypeError);
    expect(() => createKeyring({ 1: "key" as unknown as Buffer }, 1)).toThrow(TypeError);
  });
});

describe("LocalKeyProvider", () => {
  it("serves the keys of its material and never prints them", async () => {
    const material = await generateKeyMaterial();
    const provider = new LocalKeyProvider(material);
    const ring = await provider.masterKeyring();
    expect(ring.current).toBe(1);
    expect(ring.keys.get(1)!.toString("base64")).toBe(material.masterKeys.keys["1"]);
    expect((await provider.blindIndexKey()).toString("base64")).toBe(material.blindIndexKey);
    const signing = await provider.tokenSigningKeys();
    expect(signing.current.kid).toBe(material.tokenSigning.current);
    expect(await provider.tokenSigningKeys()).toBe(signing);
    const printed = inspect(provider, { depth: 10 }) + JSON.stringify(provider);
    expect(printed).not.toContain(material.blindIndexKey);
    expect(printed).not.toContain(material.masterKeys.keys["1"]);
  });
});

describe("LocalKeyProvider following the key file", () => {
  it("picks up a rotated signing key once the recheck interval has passed, and keeps the last good keys on a bad file", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "custos-follow-"));
    try {
      const file = path.join(dir, "keys.json");
      const { material } = await loadOrCreateKeyFile(file, { create: true });
      const clock = new ManualClock();
      const errors: unknown[] = [];
      const provider = new LocalKeyProvider(material, { follow: { file, clock, onReloadError: (e) => errors.push(e) } });
      expect((await provider.tokenSigningKeys()).current.kid).toBe(material.tokenSigning.current);

      const rotatedAt = clock.now();
      const rotation = await rotateSigningKeyFile(file, { now: rotatedAt, graceSeconds: 900 });
      clock.advance(SIGNING_KEYS_RECHECK_MS - 1);
      expect((await provider.tokenSigningKeys()).current.kid).toBe(material.tokenSigning.current);
      clock.advance(1);
      const reloaded = await provider.tokenSigningKeys();
      expect(reloaded.current.kid).toBe(rotation.newKid);
      expect(reloaded.all.find((k) => k.kid === rotation.retiredKid)?.retiredAt?.toISOString()).toBe(rotatedAt.toISOString());

      await fs.writeFile(file, "{ not json", { mode: 0o600 });
      clock.advance(SIGNING_KEYS_RECHECK_MS);
      expect((await provider.tokenSigningKeys()).current.kid).toBe(rotation.newKid);
      expect(errors).toHaveLength(1);
      expect((errors[0] as { code?: string }).code).toBe("BAD_KEY_MATERIAL");
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
