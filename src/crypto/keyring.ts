// Versioned master keys, and the KeyProvider seam through which the rest of Custos obtains every key.
import { promises as fs } from "node:fs";
import type { Clock } from "../clock";
import { blindIndexKeyringShape, decodeBlindIndexKeyring, type BlindIndexKeyring } from "./blind-index-keyring";
import { CryptoError } from "./errors";
import { decodeKey32, isValidKeyVersion, loadOrCreateKeyFile, type KeyMaterial } from "./key-material";
import { importSigningKeys, type SigningKeySet } from "./tokens";

const MASTER_KEY_BYTES = 32;

/** AES-256 master keys by version. `current` wraps new data keys; the others only unwrap. */
export interface MasterKeyring {
  readonly current: number;
  readonly keys: ReadonlyMap<number, Buffer>;
}

/**
 * A wrong argument type or version number is the caller's bug (TypeError); a key of the wrong
 * size, or a current version with no key, means the key material itself is bad.
 */
export function createKeyring(keys: Record<number | string, Buffer>, current: number): MasterKeyring {
  if (!isValidKeyVersion(current)) throw new TypeError("current must be a positive integer key version");
  if (typeof keys !== "object" || keys === null) throw new TypeError("keys must be an object of Buffers by version");
  const map = new Map<number, Buffer>();
  for (const [name, key] of Object.entries(keys)) {
    const version = Number(name);
    if (!isValidKeyVersion(version) || String(version) !== name) throw new TypeError("key versions must be positive integers");
    if (!Buffer.isBuffer(key)) throw new TypeError(`key version ${version} must be a Buffer`);
    if (key.length !== MASTER_KEY_BYTES) {
      throw new CryptoError("BAD_KEY_MATERIAL", `master key version ${version} must be ${MASTER_KEY_BYTES} bytes`);
    }
    // An all-zero key is a placeholder that slipped through, not a key.
    if (key.every((b) => b === 0)) throw new CryptoError("BAD_KEY_MATERIAL", `master key version ${version} is all zeros`);
    // Copied so that a caller zeroing or reusing its buffer cannot change the keyring.
    map.set(version, Buffer.from(key));
  }
  if (!map.has(current)) throw new CryptoError("BAD_KEY_MATERIAL", `master key version ${current} (current) is missing`);
  return Object.freeze({ current, keys: map });
}

/**
 * Where keys come from. Today LocalKeyProvider reads them from the key file; an HSM or cloud KMS
 * implementation would keep master keys outside the process and unwrap on request, which is why
 * every method is async and why callers ask the provider each time instead of caching raw keys.
 */
export interface KeyProvider {
  masterKeyring(): Promise<MasterKeyring>;
  blindIndexKey(): Promise<Buffer>;
  tokenSigningKeys(): Promise<SigningKeySet>;
  /**
   * Called with the new keyring whenever the master-key versions change (a rotation added or promoted
   * one), so a running server unwraps what the rotation re-wrapped. Optional: a provider that never
   * changes at run time need not implement it.
   */
  onMasterKeyringChange?(listener: (keyring: MasterKeyring) => void): void;
  /** Versioned blind-index keys (`custos keys rotate-blind-index`). Optional: without it, `blindIndexKey` is version 1. */
  blindIndexKeyring?(): Promise<BlindIndexKeyring>;
  /** Like onMasterKeyringChange, for blind-index versions: searches must cover every version rows use. */
  onBlindIndexKeyringChange?(listener: (keyring: BlindIndexKeyring) => void): void;
}

function decodeKeyring(material: KeyMaterial): MasterKeyring {
  const decoded: Record<string, Buffer> = {};
  for (const [version, encoded] of Object.entries(material.masterKeys.keys)) {
    decoded[version] = decodeKey32(encoded, `masterKeys.keys["${version}"]`);
  }
  return createKeyring(decoded, material.masterKeys.current);
}

const keyringShape = (k: MasterKeyring) => `${k.current}|${[...k.keys.keys()].sort((a, b) => a - b).join(",")}`;

/** How often (in the injected clock's time) a followed key file is looked at again. */
export const SIGNING_KEYS_RECHECK_MS = 30_000;

/**
 * Lets the token signing keys and the master keyring follow the key file, so that `custos keys
 * rotate-signing` and `custos keys rotate` take effect on running servers without a restart; so do
 * blind-index versions (`custos keys rotate-blind-index`).
 */
export interface SigningKeyFollow {
  file: string;
  clock: Clock;
  /** A file that cannot be read or no longer validates is reported here; the last good keys stay in use. */
  onReloadError(error: unknown): void;
}

/** Keys held in process memory, decoded from a validated KeyMaterial. */
export class LocalKeyProvider implements KeyProvider {
  // Private fields (#): util.inspect, console.log and JSON.stringify never show them.
  #keyring: MasterKeyring;
  readonly #keyringListeners: Array<(keyring: MasterKeyring) => void> = [];
  readonly #blindIndexKey: Buffer;
  #blindKeyring: BlindIndexKeyring;
  readonly #blindKeyringListeners: Array<(keyring: BlindIndexKeyring) => void> = [];
  readonly #tokenSigning: KeyMaterial["tokenSigning"];
  #signingKeys: Promise<SigningKeySet> | undefined;
  readonly #follow: SigningKeyFollow | undefined;
  #checkedAt: number | undefined;
  #fileFingerprint: string | undefined;
  #reloading: Promise<SigningKeySet> | undefined;

  /** Decodes the symmetric keys at once, so bad material fails at start-up, not at first use. */
  constructor(material: KeyMaterial, opts: { follow?: SigningKeyFollow } = {}) {
    this.#keyring = decodeKeyring(material);
    this.#blindIndexKey = decodeKey32(material.blindIndexKey, "blindIndexKey");
    this.#blindKeyring = decodeBlindIndexKeyring(material);
    this.#tokenSigning = material.tokenSigning;
    this.#follow = opts.follow;
    this.#checkedAt = opts.follow?.clock.now().getTime();
  }

  async masterKeyring(): Promise<MasterKeyring> {
    return this.#keyring;
  }

  onMasterKeyringChange(listener: (keyring: MasterKeyring) => void): void {
    this.#keyringListeners.push(listener);
  }

  async blindIndexKey(): Promise<Buffer> {
    return Buffer.from(this.#blindIndexKey);
  }

  async blindIndexKeyring(): Promise<BlindIndexKeyring> {
    return this.#blindKeyring;
  }

  onBlindIndexKeyringChange(listener: (keyring: BlindIndexKeyring) => void): void {
    this.#blindKeyringListeners.push(listener);
  }

  tokenSigningKeys(): Promise<SigningKeySet> {
    // Imported once (WebCrypto import is async) and shared by every caller.
    this.#signingKeys ??= importSigningKeys(this.#tokenSigning);
    const follow = this.#follow;
    if (!follow) return this.#signingKeys;
    if (this.#reloading) return this.#reloading;
    const now = follow.clock.now().getTime();
    // A clock that went backwards counts as due: better one extra stat than a stale key set.
    if (this.#checkedAt !== undefined && now >= this.#checkedAt && now - this.#checkedAt < SIGNING_KEYS_RECHECK_MS) return this.#signingKeys;
    this.#checkedAt = now;
    const reloading = this.#reloadIfChanged(follow, this.#signingKeys).finally(() => {
      this.#reloading = undefined;
    });
    this.#reloading = reloading;
    return reloading;
  }

  async #reloadIfChanged(follow: SigningKeyFollow, current: Promise<SigningKeySet>): Promise<SigningKeySet> {
    try {
      const stat = await fs.stat(follow.file);
      const fingerprint = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
      if (fingerprint === this.#fileFingerprint) return await current;
      // Same strict reader as start-up: mode 0600, full validation.
      const { material } = await loadOrCreateKeyFile(follow.file, { create: false });
      const next = await importSigningKeys(material.tokenSigning);
      const keyring = decodeKeyring(material);
      const blindKeyring = decodeBlindIndexKeyring(material);
      this.#fileFingerprint = fingerprint;
      if (blindIndexKeyringShape(blindKeyring) !== blindIndexKeyringShape(this.#blindKeyring)) {
        this.#blindKeyring = blindKeyring;
        for (const listener of this.#blindKeyringListeners) listener(blindKeyring);
      }
      if (keyringShape(keyring) !== keyringShape(this.#keyring)) {
        this.#keyring = keyring;
        for (const listener of this.#keyringListeners) listener(keyring);
      }
      this.#signingKeys = Promise.resolve(next);
      return next;
    } catch (error) {
      follow.onReloadError(error);
      return current;
    }
  }
}
