// Binds the crypto primitives to Custos's cells: which key encrypts which column, under which AAD.
import type { BlindIndexedField, BlindIndexKeyring, MasterKeyring } from "../crypto";
import { blindIndex, decryptField, encryptField, generateDataKey, singleBlindIndexKeyring, unwrapDataKey, wrapDataKey } from "../crypto";

export interface WrappedKey {
  readonly version: number;
  /** null: destroyed by erasure; opening it fails with KEY_DESTROYED. */
  readonly wrapped: Buffer | null;
}

/** What an erased customer's narratives read as: the text is gone, the record of one having existed is not. */
export const ERASED_TEXT = "[erased]";

export class CustomerCipher {
  #keyring: MasterKeyring;
  #blindKeys: BlindIndexKeyring;

  /** A bare Buffer is blind-index version 1 (a key file from before blind-index rotation). */
  constructor(keyring: MasterKeyring, blindIndexKeys: BlindIndexKeyring | Buffer) {
    this.#keyring = keyring;
    this.#blindKeys = Buffer.isBuffer(blindIndexKeys) ? singleBlindIndexKeyring(blindIndexKeys) : blindIndexKeys;
  }

  /** A blind-index rotation reached this process: search every version it lists, index under its current. */
  useBlindIndexKeyring(keyring: BlindIndexKeyring): void {
    this.#blindKeys = keyring;
  }

  get blindIndexKeyring(): BlindIndexKeyring {
    return this.#blindKeys;
  }

  /** A master-key rotation reached this process: new data keys wrap under its current version. */
  useKeyring(keyring: MasterKeyring): void {
    this.#keyring = keyring;
  }

  get keyring(): MasterKeyring {
    return this.#keyring;
  }

  /** Unwraps under whichever version wrapped it and wraps again under the current one (rotation). */
  rewrapDataKey(customerId: string, stored: WrappedKey): WrappedKey {
    const dek = this.openDataKey(customerId, stored);
    try {
      return wrapDataKey(this.#keyring, dek, customerId);
    } finally {
      dek.fill(0);
    }
  }

  /** A new customer's data key, and its wrapped form for storage. */
  newDataKey(customerId: string): { dek: Buffer; stored: WrappedKey } {
    const dek = generateDataKey();
    return { dek, stored: wrapDataKey(this.#keyring, dek, customerId) };
  }

  openDataKey(customerId: string, stored: WrappedKey): Buffer {
    return unwrapDataKey(this.#keyring, stored.version, stored.wrapped, customerId);
  }

  /** Customer columns are bound to row and column: `customer:<id>:<field>`. */
  sealCustomerField(dek: Buffer, customerId: string, field: string, value: string): Buffer {
    return encryptField(dek, value, `customer:${customerId}:${field}`);
  }

  openCustomerField(dek: Buffer, customerId: string, field: string, blob: Buffer): string {
    return decryptField(dek, blob, `customer:${customerId}:${field}`);
  }

  /** Case narratives use the customer's key (shredding the customer shreds them too), bound to the case. */
  sealCaseText(dek: Buffer, caseId: string, field: string, value: string): Buffer {
    return encryptField(dek, value, `case:${caseId}:${field}`);
  }

  openCaseText(dek: Buffer, caseId: string, field: string, blob: Buffer): string {
    return decryptField(dek, blob, `case:${caseId}:${field}`);
  }

  /** The index under the current blind-index version (store it with `bidx_version` = that version). */
  blindIndex(field: BlindIndexedField, value: string): Buffer {
    return this.blindIndexAt(this.#blindKeys.current, field, value);
  }

  blindIndexAt(version: number, field: BlindIndexedField, value: string): Buffer {
    const key = this.#blindKeys.keys.get(version);
    if (!key) throw new TypeError(`blind-index key version ${version} is not in the keyring`);
    return blindIndex(key, field, value);
  }

  /** The value's index under every version in the keyring: what a lookup must match while rows differ. */
  blindIndexCandidates(field: BlindIndexedField, value: string): Array<{ version: number; index: Buffer }> {
    return [...this.#blindKeys.keys.keys()].sort((a, b) => a - b).map((version) => ({ version, index: this.blindIndexAt(version, field, value) }));
  }
}
