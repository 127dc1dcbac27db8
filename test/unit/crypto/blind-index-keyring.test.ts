// Versioned blind-index keys in the key file: the legacy single key is version 1, rotation edits are pure,
// and a hand-edited set that would orphan rows or reuse a master key is refused.
import { describe, expect, it } from "vitest";
import {
  addBlindIndexVersion,
  decodeBlindIndexKeyring,
  pendingBlindIndexVersion,
  promoteBlindIndexKey,
  removeBlindIndexVersion,
} from "../../../src/crypto/blind-index-keyring";
import { generateKeyMaterial, parseKeyMaterial, type KeyMaterial } from "../../../src/crypto/key-material";
import { expectCryptoError } from "./helpers";

const roundTrip = (m: KeyMaterial) => parseKeyMaterial(JSON.stringify(m));

describe("blind-index keyring", () => {
  it("reads a file without blindIndexKeys as version 1 = blindIndexKey", async () => {
    const material = await generateKeyMaterial();
    const ring = decodeBlindIndexKeyring(material);
    expect(ring.current).toBe(1);
    expect([...ring.keys.keys()]).toEqual([1]);
    expect(ring.keys.get(1)!.toString("base64")).toBe(material.blindIndexKey);
  });

  it("adds a version without promoting it, promotes it, and removes the old one; each result parses", async () => {
    const material = await generateKeyMaterial();
    const added = addBlindIndexVersion(material);
    expect(added.version).toBe(2);
    expect(roundTrip(added.material).blindIndexKeys).toEqual(added.material.blindIndexKeys);
    expect(decodeBlindIndexKeyring(added.material).current).toBe(1);
    expect(pendingBlindIndexVersion(added.material)).toBe(2);
    const promoted = promoteBlindIndexKey(added.material, 2);
    expect(pendingBlindIndexVersion(promoted)).toBeNull();
    expect(decodeBlindIndexKeyring(roundTrip(promoted)).current).toBe(2);
    expect(() => removeBlindIndexVersion(promoted, 2)).toThrow(TypeError);
    const retired = roundTrip(removeBlindIndexVersion(promoted, 1));
    expect(Object.keys(retired.blindIndexKeys!.keys)).toEqual(["2"]);
    expect(retired.blindIndexKey).toBe(material.blindIndexKey);
  });

  it.each<[string, (m: KeyMaterial) => void]>([
    ["version 1 differing from blindIndexKey", (m) => (m.blindIndexKeys!.keys["1"] = m.blindIndexKeys!.keys["2"])],
    ["a version equal to a master key", (m) => (m.blindIndexKeys!.keys["2"] = m.masterKeys.keys["1"])],
    ["current not among the keys", (m) => (m.blindIndexKeys!.current = 3)],
    ["a version name that is not a number", (m) => (m.blindIndexKeys!.keys.x = m.blindIndexKeys!.keys["2"])],
  ])("refuses %s as BAD_KEY_MATERIAL", async (_name, mutate) => {
    const { material } = addBlindIndexVersion(await generateKeyMaterial());
    const copy = JSON.parse(JSON.stringify(material)) as KeyMaterial;
    mutate(copy);
    expectCryptoError(() => roundTrip(copy), "BAD_KEY_MATERIAL");
  });
});
