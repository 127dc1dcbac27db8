// Binds the crypto primitives to Custos's cells: which key encrypts which column, under which AAD.
import type { BlindIndexedField, MasterKeyring } from "../crypto";
import { blindIndex, decryptField, encryptField, generateDataKey, unwrapDataKey, wrapDataKey } from "../crypto";

export interface WrappedKey {
  readonly version: number;
  /** null: destroyed by erasure; opening it fails with KEY_DESTROYED. */
  readonly wrapped: Buffer | null;
}

/** What an erased customer's narratives read as: the text is gone, the record of one having existed is not. */
export const ERASED_TEXT = "[erased]";

export class CustomerCipher {
  #keyring: MasterKeyring;
  readonly #blindKey: Buffer;

  constructor(keyring: MasterKeyring, blindIndexKey: Buffer) {
    this.#keyring = keyring;
    this.#blindKey = blindIndexKey;
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

  blindIndex(field: BlindIndexedField, value: string): Buffer {
    return blindIndex(this.#blindKey, field, value);
  }
}
