// Every entity the data source knows, listed explicitly (globs load .ts files under vitest).
import { ServiceClientEntity, StaffTrainingEntity } from "./access.entity";
import { CaseEntity, CaseEventEntity, CaseNoteEntity } from "./case.entity";
import { CustomerEntity, CustomerKeyEntity, CustomerTransactionEntity, LegalHoldEntity } from "./customer.entity";
import { StaffUserEntity } from "./staff-user.entity";
import { TeamEntity } from "./team.entity";

export const ENTITIES = [
  TeamEntity,
  StaffUserEntity,
  CustomerEntity,
  CustomerKeyEntity,
  CustomerTransactionEntity,
  CaseEntity,
  CaseNoteEntity,
  CaseEventEntity,
  StaffTrainingEntity,
  ServiceClientEntity,
  LegalHoldEntity,
];
export { LegalHoldEntity, ServiceClientEntity, StaffTrainingEntity };
export { CaseEntity, CaseEventEntity, CaseNoteEntity, CustomerEntity, CustomerKeyEntity, CustomerTransactionEntity, StaffUserEntity, TeamEntity };
