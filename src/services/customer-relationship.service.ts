// Closing and reopening a customer's relationship with the bank, each one audited write.
import { RELATIONSHIP_CLOSE_REASONS, type RelationshipCloseReason } from "../domain/enums";
import { badInput } from "../errors";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import { closeRelationship, reopenRelationship, type CustomerRelationshipView } from "../store/customer-relationship.store";

// An instant must carry its offset: a bare local time would silently mean the server's zone.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export class CustomerRelationshipService {
  constructor(private readonly store: AuditedStore) {}

  close(actor: AuditActor, customerId: string, closedAt: string, reasonCode: RelationshipCloseReason): Promise<CustomerRelationshipView> {
    if (!INSTANT.test(closedAt) || Number.isNaN(Date.parse(closedAt))) throw badInput("closedAt must be an ISO 8601 instant with an offset", "closedAt");
    if (!(RELATIONSHIP_CLOSE_REASONS as readonly string[]).includes(reasonCode)) throw badInput("unknown reasonCode", "reasonCode");
    return this.store.run(actor, { action: "customer.relationship.close", resourceType: "customer", resourceId: customerId }, (uow) =>
      closeRelationship(uow, customerId, new Date(closedAt), reasonCode),
    );
  }

  reopen(actor: AuditActor, customerId: string): Promise<CustomerRelationshipView> {
    return this.store.run(actor, { action: "customer.relationship.reopen", resourceType: "customer", resourceId: customerId }, (uow) => reopenRelationship(uow, customerId));
  }
}
