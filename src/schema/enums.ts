// GraphQL enums generated from the domain's closed vocabularies, so the two can never drift apart.
import { registerEnumType } from "type-graphql";
import { AUDIT_OUTCOMES, BUSINESS_LINES, CASE_KINDS, CASE_STATUSES, CHANNELS, COMPLEXITIES, ROLES } from "../domain/enums";

function enumObject<T extends string>(values: readonly T[]): { [K in T]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
}

export const RoleEnum = enumObject(ROLES);
export const BusinessLineEnum = enumObject(BUSINESS_LINES);
export const ChannelEnum = enumObject(CHANNELS);
export const CaseKindEnum = enumObject(CASE_KINDS);
export const ComplexityEnum = enumObject(COMPLEXITIES);
export const CaseStatusEnum = enumObject(CASE_STATUSES);
export const AuditOutcomeEnum = enumObject(AUDIT_OUTCOMES);

registerEnumType(RoleEnum, { name: "Role" });
registerEnumType(BusinessLineEnum, { name: "BusinessLine" });
registerEnumType(ChannelEnum, { name: "Channel" });
registerEnumType(CaseKindEnum, { name: "CaseKind" });
registerEnumType(ComplexityEnum, { name: "Complexity" });
registerEnumType(CaseStatusEnum, { name: "CaseStatus" });
registerEnumType(AuditOutcomeEnum, { name: "AuditOutcome" });
