// Builds the executable schema, handing each resolver class its services (no global container).
import type { GraphQLSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { AccountResolver } from "../resolvers/account.resolver";
import { AuditResolver } from "../resolvers/audit.resolver";
import { AuditBundleResolver } from "../resolvers/audit-bundle.resolver";
import { AuditProofResolver } from "../resolvers/audit-proof.resolver";
import { AuditReportResolver } from "../resolvers/audit-report.resolver";
import { AuthResolver } from "../resolvers/auth.resolver";
import { CaseResolver } from "../resolvers/case.resolver";
import { CaseHandlingResolver } from "../resolvers/case-handling.resolver";
import { CaseLeadResolver } from "../resolvers/case-lead.resolver";
import { Customer360Resolver } from "../resolvers/customer-360.resolver";
import { CustomerResolver } from "../resolvers/customer.resolver";
import { DataProtectionResolver } from "../resolvers/data-protection.resolver";
import { SessionResolver } from "../resolvers/session.resolver";
import { TrainingResolver } from "../resolvers/training.resolver";
import { ControlProgrammeResolver } from "../resolvers/control-programme.resolver";
import { RiskScoreResolver } from "../resolvers/risk-score.resolver";
import { RegulatoryReportResolver } from "../resolvers/report.resolver";
import { QualityMetricsResolver } from "../resolvers/quality-metrics.resolver";
import { CustomerRelationshipResolver } from "../resolvers/customer-relationship.resolver";
import type { Services } from "../services";

export async function buildGraphQLSchema(services: Services): Promise<GraphQLSchema> {
  const instances = new Map<Function, object>([
    [AuthResolver, new AuthResolver(services.auth)],
    [SessionResolver, new SessionResolver(services.sessions)],
    [AccountResolver, new AccountResolver(services.accounts)],
    [CustomerResolver, new CustomerResolver(services.customers, services.cases)],
    [CaseResolver, new CaseResolver(services.cases, services.customers, services.caseClocks)],
    [CaseHandlingResolver, new CaseHandlingResolver(services.caseHandling)],
    [CaseLeadResolver, new CaseLeadResolver(services.caseLead)],
    [Customer360Resolver, new Customer360Resolver(services.customer360)],
    [AuditResolver, new AuditResolver(services.audit)],
    [AuditReportResolver, new AuditReportResolver(services.auditReports)],
    [AuditProofResolver, new AuditProofResolver(services.auditProofs)],
    [AuditBundleResolver, new AuditBundleResolver(services.auditBundles)],
    [TrainingResolver, new TrainingResolver(services.training)],
    [DataProtectionResolver, new DataProtectionResolver(services.dataProtection)],
    [ControlProgrammeResolver, new ControlProgrammeResolver(services.controlProgramme)],
    [RiskScoreResolver, new RiskScoreResolver(services.riskModels)],
    [RegulatoryReportResolver, new RegulatoryReportResolver(services.regulatoryReports)],
    [QualityMetricsResolver, new QualityMetricsResolver(services.qualityMetrics)],
    [CustomerRelationshipResolver, new CustomerRelationshipResolver(services.customerRelationships)],
  ]);
  return buildSchema({
    resolvers: [AuthResolver, SessionResolver, AccountResolver, CustomerResolver, CaseResolver, CaseHandlingResolver, CaseLeadResolver, Customer360Resolver, AuditResolver, AuditReportResolver, AuditProofResolver, AuditBundleResolver, TrainingResolver, DataProtectionResolver, ControlProgrammeResolver, RiskScoreResolver, QualityMetricsResolver, RegulatoryReportResolver, CustomerRelationshipResolver],
    container: {
      get(someClass: Function) {
        const instance = instances.get(someClass);
        if (!instance) throw new TypeError(`no instance registered for ${someClass.name}`);
        return instance;
      },
    },
    validate: false,
    emitSchemaFile: false,
  });
}
