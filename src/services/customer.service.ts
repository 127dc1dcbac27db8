// Customer use cases: validation of input, then one unit of work through the audited store.
import type { CustomerPiiField } from "../domain/enums";
import { badInput } from "../errors";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import type { CustomerCipher } from "../store/customer-cipher";
import { createCustomer, listCustomers, readCustomer, updateCustomer, type CustomerFilter, type CustomerPii, type CustomerUpdate } from "../store/customer.store";
import type { PageRequest } from "../store/paging";
import { listTransactions } from "../store/transaction.store";

const RULES: Record<keyof CustomerPii, { max: number; pattern?: RegExp; what: string }> = {
  fullName: { max: 200, what: "a name of 1 to 200 characters" },
  nationalId: { max: 32, pattern: /^[A-Za-z0-9][A-Za-z0-9 -]{3,31}$/, what: "4 to 32 letters, digits, spaces or dashes" },
  phone: { max: 32, pattern: /^\+?[0-9][0-9 ()-]{5,30}$/, what: "a phone number of digits, spaces, dashes or parentheses" },
  email: { max: 254, pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, what: "an e-mail address" },
  address: { max: 500, what: "an address of at most 500 characters" },
};

/** Checks one PII input; the error names the field and the rule, never the value. */
function checkField(field: keyof CustomerPii, value: string | null | undefined, required: boolean): string | null {
  if (value === null || value === undefined || value.trim() === "") {
    if (required) throw badInput(`${field} is required`, field);
    return null;
  }
  const trimmed = value.trim();
  const rule = RULES[field];
  if (trimmed.length > rule.max || (rule.pattern && !rule.pattern.test(trimmed))) throw badInput(`${field} must be ${rule.what}`, field);
  return trimmed;
}

export class CustomerService {
  constructor(
    private readonly store: AuditedStore,
    private readonly cipher: CustomerCipher,
  ) {}

  get(actor: AuditActor, id: string, wanted: readonly CustomerPiiField[]) {
    return this.store.run(actor, null, (uow) => readCustomer(uow, this.cipher, id, wanted));
  }

  list(actor: AuditActor, filter: CustomerFilter, page: PageRequest, wanted: readonly CustomerPiiField[]) {
    return this.store.run(actor, null, (uow) => listCustomers(uow, this.cipher, filter, page, wanted));
  }

  create(actor: AuditActor, input: Partial<Record<keyof CustomerPii, string | null>>) {
    const clean: CustomerPii = {
      fullName: checkField("fullName", input.fullName, true)!,
      nationalId: checkField("nationalId", input.nationalId, true)!,
      phone: checkField("phone", input.phone, false),
      email: checkField("email", input.email, false),
      address: checkField("address", input.address, false),
    };
    return this.store.run(actor, { action: "customer.create", resourceType: "customer" }, (uow) => createCustomer(uow, this.cipher, clean));
  }

  /** Only the fields present in `input` change; null removes an optional field. */
  update(actor: AuditActor, id: string, input: Partial<Record<keyof CustomerPii, string | null>>) {
    const changes: CustomerUpdate = {};
    for (const field of Object.keys(RULES) as Array<keyof CustomerPii>) {
      if (input[field] === undefined) continue;
      changes[field] = input[field] === null ? null : checkField(field, input[field], field === "fullName" || field === "nationalId");
    }
    return this.store.run(actor, { action: "customer.update", resourceType: "customer", resourceId: id }, (uow) => updateCustomer(uow, this.cipher, id, changes));
  }

  transactions(actor: AuditActor, customerId: string, page: PageRequest) {
    return this.store.run(actor, null, (uow) => listTransactions(uow, customerId, page));
  }
}
