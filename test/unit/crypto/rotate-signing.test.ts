import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS } from "../../../src/clock";
import { generateKeyMaterial, generateSigningKey, loadOrCreateKeyFile, type KeyMaterial } from "../../../src/crypto/key-material";
import { rotateSigningKeyFile, rotateSigningMaterial } from "../../../src/crypto/rotate-signing";

const NOW = new Date("2026-11-02T09:00:00.000Z");
const GRACE = 900;
const iso = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

let material: KeyMaterial;
let dir: string;
beforeAll(async () => {
  material = await generateKeyMaterial();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "custos-rotate-"));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

describe("rotateSigningMaterial", () => {
  it("makes the new key current and retires the previous one at now", async () => {
    const next = await generateSigningKey();
    const r = rotateSigningMaterial(material, next, { now: NOW, graceSeconds: GRACE });
    expect(r.newKid).toBe(next.kid);
    expect(r.retiredKid).toBe(material.tokenSigning.current);
    expect(r.material.tokenSigning.current).toBe(next.kid);
    expect(r.material.tokenSigning.keys).toEqual([
      { ...material.tokenSigning.keys[0], retiredAt: NOW.toISOString() },
      { kid: next.kid, privateJwk: next.privateJwk },
    ]);
    expect(r.dropped).toEqual([]);
    // Everything else in the file is untouched.
    expect(r.material.masterKeys).toEqual(material.masterKeys);
    expect(r.material.blindIndexKey).toBe(material.blindIndexKey);
  });

  it("drops keys retired for longer than grace + 1 day, keeps those retired exactly that long", async () => {
    const [a, b] = [await generateSigningKey(), await generateSigningKey()];
    const withRetired: KeyMaterial = {
      ...material,
      tokenSigning: {
        current: material.tokenSigning.current,
        keys: [
          { ...a, retiredAt: iso(-(GRACE * 1000 + DAY_MS) - 1) },
          { ...b, retiredAt: iso(-(GRACE * 1000 + DAY_MS)) },
          ...material.tokenSigning.keys,
        ],
      },
    };
    const r = rotateSigningMaterial(withRetired, await generateSigningKey(), { now: NOW, graceSeconds: GRACE });
    expect(r.dropped).toEqual([a.kid]);
    expect(r.material.tokenSigning.keys.map((k) => k.kid)).toEqual([b.kid, material.tokenSigning.current, r.newKid]);
    expect(r.material.tokenSigning.keys[0].retiredAt).toBe(iso(-(GRACE * 1000 + DAY_MS)));
  });

  it("refuses a new key whose kid is already in the file", () => {
    const again = material.tokenSigning.keys[0];
    expect(() => rotateSigningMaterial(material, again, { now: NOW, graceSeconds: GRACE })).toThrow(TypeError);
  });
});

describe("rotateSigningKeyFile", () => {
  it("rewrites the key file (mode 0600) with a new current key and returns the previous material", async () => {
    const file = path.join(dir, "keys.json");
    const { material: before } = await loadOrCreateKeyFile(file, { create: true });
    const r = await rotateSigningKeyFile(file, { now: NOW, graceSeconds: GRACE });
    expect(r.previous).toEqual(before);
    const { material: after } = await loadOrCreateKeyFile(file, { create: false });
    expect(after).toEqual(r.material);
    expect(after.tokenSigning.current).toBe(r.newKid);
    expect(after.tokenSigning.keys.find((k) => k.kid === before.tokenSigning.current)?.retiredAt).toBe(NOW.toISOString());
    if (process.platform !== "win32") expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it("never creates a key file", async () => {
    await expect(rotateSigningKeyFile(path.join(dir, "absent.json"), { now: NOW, graceSeconds: GRACE })).rejects.toMatchObject({ code: "BAD_KEY_MATERIAL" });
  });
});
