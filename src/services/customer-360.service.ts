// The customer 360 view for agents (issue 7, item 7): one audited unit of work over the read paths.
import type { CustomerPiiField } from "../domain/enums";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import type { CaseTextField } from "../store/case.store";
import type { CustomerCipher } from "../store/customer-cipher";
import { readCustomer360 } from "../store/customer-360.store";

export class Customer360Service {
  constructor(
    private readonly store: AuditedStore,
    private readonly cipher: CustomerCipher,
  ) {}

  get(actor: AuditActor, customerId: string, wantedPii: readonly CustomerPiiField[], wantedCaseText: readonly CaseTextField[]) {
    return this.store.run(actor, null, (uow) => readCustomer360(uow, this.cipher, customerId, wantedPii, wantedCaseText));
  }
}
