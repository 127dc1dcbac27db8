// Binds the crypto primitives to Custos's cells: which key encrypts which column, under which AAD.
import type { BlindIndexedField, MasterKeyring } from "../crypto";
import { blindIndex, decryptField, encryptField, generateDataKey, unwrapDataKey, wrapDataKey } from "../crypto";

export interface WrappedKey {
  readonly version: number;
  readonly wrapped: Buffer;
}

export class CustomerCipher {
  readonly #keyring: MasterKeyring;
  readonly #blindKey: Buffer;

  constructor(keyring: MasterKeyring, blindIndexKey: Buffer) {
    this.#keyring = keyring;
    this.#blindKey = blindIndexKey;
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
