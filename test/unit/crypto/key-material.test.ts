import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeyMaterial, generateSigningKey, loadOrCreateKeyFile, parseKeyMaterial, replaceKeyFile, type KeyMaterial } from "../../../src/crypto/key-material";
import { expectCryptoError, expectCryptoErrorAsync } from "./helpers";

let dir: string;
let material: KeyMaterial;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "custos-keys-"));
  material = await generateKeyMaterial();
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const mutate = (edit: (m: any) => void): string => {
  const copy = structuredClone(material) as any;
  edit(copy);
  return JSON.stringify(copy);
};

describe("generateKeyMaterial / parseKeyMaterial", () => {
  it("generates distinct 32-byte keys and an Ed25519 key whose kid is its thumbprint", async () => {
    expect(Buffer.from(material.masterKeys.keys["1"], "base64").length).toBe(32);
    expect(Buffer.from(material.blindIndexKey, "base64").length).toBe(32);
    expect(material.tokenSigning.keys[0].kid).toBe(material.tokenSigning.current);
    expect(material.tokenSigning.current).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const other = await generateKeyMaterial();
    expect(other.masterKeys.keys["1"]).not.toBe(material.masterKeys.keys["1"]);
    expect(other.tokenSigning.current).not.toBe(material.tokenSigning.current);
  });

  it("round-trips through JSON", () => {
    expect(parseKeyMaterial(JSON.stringify(material))).toEqual(material);
  });

  it.each<[string, (m: any) => void]>([
    ["wrong version", (m) => (m.version = 2)],
    ["short master key", (m) => (m.masterKeys.keys["1"] = randomBytes(16).toString("base64"))],
    ["non-canonical base64", (m) => (m.masterKeys.keys["1"] = m.masterKeys.keys["1"].slice(0, -1) + "!")],
    ["bad version name", (m) => (m.masterKeys.keys["one"] = m.masterKeys.keys["1"])],
    ["current master key missing", (m) => (m.masterKeys.current = 2)],
    ["blind index key missing", (m) => delete m.blindIndexKey],
    ["blind index key equal to a master key", (m) => (m.blindIndexKey = m.masterKeys.keys["1"])],
    ["no signing keys", (m) => (m.tokenSigning.keys = [])],
    ["current kid missing", (m) => (m.tokenSigning.current = "other")],
    ["duplicate kid", (m) => m.tokenSigning.keys.push(m.tokenSigning.keys[0])],
    ["unsafe kid", (m) => (m.tokenSigning.keys[0].kid = m.tokenSigning.current = "../../etc/passwd")],
    ["not Ed25519", (m) => (m.tokenSigning.keys[0].privateJwk.crv = "X25519")],
    ["x not matching d", (m) => (m.tokenSigning.keys[0].privateJwk.x = randomBytes(32).toString("base64url"))],
    ["a retired current key", (m) => (m.tokenSigning.keys[0].retiredAt = "2026-01-01T00:00:00.000Z")],
    ["retiredAt that is not an instant", (m) => m.tokenSigning.keys.push({ ...m.tokenSigning.keys[0], kid: "old", retiredAt: "yesterday" })],
    ["retiredAt in local time", (m) => m.tokenSigning.keys.push({ ...m.tokenSigning.keys[0], kid: "old", retiredAt: "2026-01-01T00:00:00" })],
    ["retiredAt on a day that does not exist", (m) => m.tokenSigning.keys.push({ ...m.tokenSigning.keys[0], kid: "old", retiredAt: "2026-02-30T00:00:00.000Z" })],
  ])("refuses %s", (_name, edit) => {
    expectCryptoError(() => parseKeyMaterial(mutate(edit)), "BAD_KEY_MATERIAL");
  });

  it("keeps retiredAt of a retired key through a round trip", async () => {
    const old = await generateSigningKey();
    const withRetired = structuredClone(material);
    withRetired.tokenSigning.keys.push({ ...old, retiredAt: "2026-11-02T09:00:00.000Z" });
    const parsed = parseKeyMaterial(JSON.stringify(withRetired));
    expect(parsed.tokenSigning.keys[1]).toEqual({ ...old, retiredAt: "2026-11-02T09:00:00.000Z" });
    expect(parsed.tokenSigning.keys[0]).not.toHaveProperty("retiredAt");
  });

  it("refuses invalid JSON without quoting it", () => {
    const secret = material.masterKeys.keys["1"];
    try {
      parseKeyMaterial(`{"masterKeys": ${secret}`);
      expect.unreachable();
    } catch (error) {
      expect((error as { code?: string }).code).toBe("BAD_KEY_MATERIAL");
      expect(String((error as Error).message)).not.toContain(secret);
      expect((error as Error).cause).toBeUndefined();
    }
  });
});

describe("loadOrCreateKeyFile", () => {
  it("creates the file (and its directory) with mode 0600, then re-reads the same material", async () => {
    const file = path.join(dir, "nested", "deeper", "keys.json");
    const first = await loadOrCreateKeyFile(file, { create: true });
    expect(first.created).toBe(true);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const second = await loadOrCreateKeyFile(file, { create: true });
    expect(second.created).toBe(false);
    expect(second.material).toEqual(first.material);
    expect(await fs.readdir(path.dirname(file))).toEqual(["keys.json"]); // no temp file left behind
  });

  it("gives every concurrent creator the same material", async () => {
    const file = path.join(dir, "race", "keys.json");
    const results = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateKeyFile(file, { create: true })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    for (const r of results) expect(r.material).toEqual(results[0].material);
  });

  it("refuses a missing file when not allowed to create", async () => {
    await expectCryptoErrorAsync(loadOrCreateKeyFile(path.join(dir, "absent.json"), { create: false }), "BAD_KEY_MATERIAL");
  });

  it.each([0o640, 0o604, 0o644, 0o660])("refuses a file with mode %o", async (mode) => {
    const file = path.join(dir, `mode-${mode.toString(8)}.json`);
    await fs.writeFile(file, JSON.stringify(material), { mode: 0o600 });
    await fs.chmod(file, mode);
    await expectCryptoErrorAsync(loadOrCreateKeyFile(file, { create: true }), "BAD_KEY_MATERIAL");
  });

  it("refuses a corrupt file instead of replacing it", async () => {
    const file = path.join(dir, "corrupt.json");
    await fs.writeFile(file, JSON.stringify(material).slice(0, 80), { mode: 0o600 });
    await expectCryptoErrorAsync(loadOrCreateKeyFile(file, { create: true }), "BAD_KEY_MATERIAL");
    expect((await fs.readFile(file, "utf8")).length).toBe(80);
  });
});

describe("replaceKeyFile", () => {
  it("replaces an existing file atomically with mode 0600 and leaves no temp file", async () => {
    const file = path.join(dir, "replace", "keys.json");
    const { material: first } = await loadOrCreateKeyFile(file, { create: true });
    const next = await generateKeyMaterial();
    await replaceKeyFile(file, next);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect((await loadOrCreateKeyFile(file, { create: false })).material).toEqual(next);
    expect(next).not.toEqual(first);
    expect(await fs.readdir(path.dirname(file))).toEqual(["keys.json"]);
  });

  it("refuses to create a file, and refuses invalid material without touching the file", async () => {
    await expectCryptoErrorAsync(replaceKeyFile(path.join(dir, "never-created.json"), material), "BAD_KEY_MATERIAL");
    await expect(fs.stat(path.join(dir, "never-created.json"))).rejects.toMatchObject({ code: "ENOENT" });
    const file = path.join(dir, "replace-invalid", "keys.json");
    const { material: first } = await loadOrCreateKeyFile(file, { create: true });
    const broken = structuredClone(first);
    broken.tokenSigning.current = "missing";
    await expectCryptoErrorAsync(replaceKeyFile(file, broken), "BAD_KEY_MATERIAL");
    expect((await loadOrCreateKeyFile(file, { create: false })).material).toEqual(first);
  });
});
