// Wires the services from their dependencies; called by the composition root only.
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Clock } from "../clock";
import type { RetentionPolicy, WorkingHours } from "../config";
import { DEFAULT_PASSWORD_PARAMS, PasswordVerifier, type KeyProvider, type PasswordParams } from "../crypto";
import { AuditSequencer, type SequencerOptions } from "../audit/sequencer";
import { AuditedStore, journalAndSeal, type AuditSink } from "../store/audited-store";
import { CustomerCipher } from "../store/customer-cipher";
import { AccountService } from "./account.service";
import { AuditService } from "./audit.service";
import { AuditProofService } from "./audit-proof.service";
import { AuditBundleService } from "./audit-bundle.service";
import { AuditReportService } from "./audit-report.service";
import { CheckpointService, type CheckpointSetup } from "./checkpoint.service";
import { AuthService, type TokenSettings } from "./auth.service";
import { LoginThrottle } from "./login-throttle";
import { CaseService } from "./case.service";
import { CaseClockService } from "./case-clock.service";
import { ClockScheduler } from "../scheduler/clock-scheduler";
import { QualityScheduler } from "../scheduler/quality-scheduler";
import { LogNotifier, type Notifier } from "../notify/notifier";
import { CaseHandlingService } from "./case-handling.service";
import { CaseLeadService } from "./case-lead.service";
import { Customer360Service } from "./customer-360.service";
import { CustomerService } from "./customer.service";
import { DataProtectionService } from "./data-protection.service";
import { ServiceClientService } from "./service-client.service";
import { SessionService } from "./session.service";
import { StaffService } from "./staff.service";
import { TrainingService } from "./training.service";
import { ControlProgrammeService, type ControlProgrammeOptions } from "./control-programme.service";
import { RiskModelService } from "./risk-model.service";
import { RegulatoryReportService } from "./report.service";
import { QualityMetricsService } from "./quality-metrics.service";
import { CustomerRelationshipService } from "./customer-relationship.service";

export interface Services {
  store: AuditedStore;
  sequencer: AuditSequencer;
  cipher: CustomerCipher;
  auth: AuthService;
  sessions: SessionService;
  accounts: AccountService;
  customers: CustomerService;
  cases: CaseService;
  caseClocks: CaseClockService;
  /** Clock warnings and escalations (src/scheduler); the composition root starts and stops its timer. */
  clockScheduler: ClockScheduler;
  caseHandling: CaseHandlingService;
  /** Team-lead views: open cases by clock state, workload, cases due soon. */
  caseLead: CaseLeadService;
  customer360: Customer360Service;
  audit: AuditService;
  auditReports: AuditReportService;
  /** Merkle inclusion and consistency proofs over the audit log (docs/audit-merkle.md). */
  auditProofs: AuditProofService;
  /** Signed export bundles (docs/audit-bundle-format.md): `custos export` and exportAuditBundle. */
  auditBundles: AuditBundleService;
  checkpoints: CheckpointService;
  staff: StaffService;
  training: TrainingService;
  serviceClients: ServiceClientService;
  dataProtection: DataProtectionService;
  /** The control programme: register, meetings, action items, suggestions (docs/control-programme.md). */
  controlProgramme: ControlProgrammeService;
  /** Risk models: `custos risk train` and the scores served (docs/risk-model.md). */
  riskModels: RiskModelService;
  /** Regulators' reports, signed (docs/regulatory-reports.md): `custos report` and generateRegulatoryReport. */
  regulatoryReports: RegulatoryReportService;
  /** Service-quality metrics and their alerts (docs/service-quality.md). */
  qualityMetrics: QualityMetricsService;
  /** The daily service-quality evaluation (src/scheduler); the composition root starts and stops its timer. */
  qualityScheduler: QualityScheduler;
  /** Closing (and reopening in error) a customer's relationship with the bank. */
  customerRelationships: CustomerRelationshipService;
}

export async function createServices(deps: {
  ds: DataSource;
  keys: KeyProvider;
  clock: Clock;
  logger: Logger;
  tokens: TokenSettings;
  passwordParams?: PasswordParams;
  retention?: RetentionPolicy;
  /** Signed audit checkpoints; without it sealing is off and verification uses the chain alone. */
  checkpoints?: CheckpointSetup;
  /** Working hours for the unusual-access report; the defaults of src/config.ts when absent. */
  workingHours?: WorkingHours;
  /** Clock sweep period in ms (0: no timer) and where notifications go (a log notifier by default). */
  clockSweep?: { intervalMs: number; notifier?: Notifier };
  /** The sequencer's own small pool, so seal rounds never queue behind requests (default: `ds`). */
  sealDs?: DataSource;
  /** Batch size and seal timeout of the audit sequencer (docs/audit-sequencer.md). */
  sequencer?: Omit<SequencerOptions, "onError">;
  /** Benchmarks only (bench/audit-read.ts): replaces the journal + sequencer as the store's audit sink. */
  auditSink?: AuditSink;
  /** The control programme's review window for suggestions (default 14 days). */
  controlProgramme?: ControlProgrammeOptions;
}): Promise<Services> {
  const { ds, keys, clock, logger } = deps;
  const passwordParams = deps.passwordParams ?? DEFAULT_PASSWORD_PARAMS;
  const sequencer = new AuditSequencer(deps.sealDs ?? ds, {
    ...deps.sequencer,
    onError: (error) => logger.error({ err: describe(error) }, "audit seal failed: events stay in the journal and are retried"),
  });
  const store = new AuditedStore(
    ds,
    clock,
    (error, context) => {
      // The cause is logged for operators; it never reaches the client. No PII is in an append.
      logger.error({ err: describe(error), ...context }, "audit append failed: operation refused (fail-closed)");
    },
    deps.auditSink ?? journalAndSeal(sequencer),
  );
  const blindKey = await keys.blindIndexKey();
  const cipher = new CustomerCipher(await keys.masterKeyring(), (await keys.blindIndexKeyring?.()) ?? blindKey);
  // A master-key rotation reaches this process through the provider (see `custos keys rotate`).
  keys.onMasterKeyringChange?.((keyring) => {
    cipher.useKeyring(keyring);
    logger.info({ masterKeyCurrent: keyring.current, masterKeyVersions: [...keyring.keys.keys()] }, "master keyring reloaded");
  });
  // Likewise a blind-index rotation (`custos keys rotate-blind-index`): searches follow every version.
  keys.onBlindIndexKeyringChange?.((keyring) => {
    cipher.useBlindIndexKeyring(keyring);
    logger.info({ blindIndexCurrent: keyring.current, blindIndexVersions: [...keyring.keys.keys()] }, "blind-index keyring reloaded");
  });
  const passwords = await PasswordVerifier.create(passwordParams);
  // Asked per use, so that a rotation of the key file reaches signing and verification without a restart.
  const currentSigningKeys = () => keys.tokenSigningKeys();
  const serviceClients = new ServiceClientService({ ds, store, passwords, passwordParams, signingKeys: currentSigningKeys, tokens: deps.tokens, clock });
  const sessions = new SessionService({ ds, store, signingKeys: currentSigningKeys, tokens: deps.tokens, clock });
  // One throttle for every password check of an account: login and changePassword count under the same key.
  const throttle = new LoginThrottle(ds, clock);
  const auth = new AuthService({
    ds,
    store,
    passwords,
    passwordParams,
    signingKeys: currentSigningKeys,
    sessions,
    tokens: deps.tokens,
    referenceKey: blindKey,
    clock,
    throttle,
    servicePrincipal: (id) => serviceClients.principalFor(id),
  });
  const checkpoints = new CheckpointService({ ds, clock, logger, setup: deps.checkpoints ?? { key: null, sink: null } });
  const notifier = deps.clockSweep?.notifier ?? new LogNotifier(logger);
  return {
    store,
    sequencer,
    cipher,
    auth,
    sessions,
    accounts: new AccountService({ ds, store, passwordParams, throttle, referenceKey: blindKey }),
    customers: new CustomerService(store, cipher),
    caseClocks: new CaseClockService(store),
    clockScheduler: new ClockScheduler({
      ds,
      store,
      clock,
      logger,
      notifier,
      intervalMs: deps.clockSweep?.intervalMs ?? 0,
    }),
    // Looks for a finished day on the clock sweep's period; each day is evaluated once (docs/service-quality.md).
    qualityScheduler: new QualityScheduler({ ds, store, clock, logger, notifier, intervalMs: deps.clockSweep?.intervalMs ?? 0 }),
    cases: new CaseService(store, cipher),
    caseHandling: new CaseHandlingService(store, cipher),
    caseLead: new CaseLeadService(store),
    customer360: new Customer360Service(store, cipher),
    audit: new AuditService(store, checkpoints),
    auditReports: new AuditReportService(store, deps.workingHours ?? DEFAULT_WORKING_HOURS),
    auditProofs: new AuditProofService(store),
    auditBundles: new AuditBundleService({ ds, store, checkpoints, keys: deps.checkpoints?.key ?? null, clock }),
    checkpoints,
    staff: new StaffService(store, passwordParams, clock),
    training: new TrainingService(store),
    serviceClients,
    dataProtection: new DataProtectionService(store, cipher, deps.retention ?? DEFAULT_RETENTION),
    controlProgramme: new ControlProgrammeService(store, clock, deps.controlProgramme),
    riskModels: new RiskModelService(store),
    regulatoryReports: new RegulatoryReportService({
      ds,
      store,
      checkpoints,
      keys: deps.checkpoints?.key ?? null,
      clock,
      workingHours: deps.workingHours ?? DEFAULT_WORKING_HOURS,
      suggestionReviewDays: deps.controlProgramme?.suggestionReviewDays ?? 14,
    }),
    qualityMetrics: new QualityMetricsService(store),
    customerRelationships: new CustomerRelationshipService(store),
  };
}

/** Error name and code only: database messages can quote the values of a failed statement. */
/** Used when a caller builds services without a configuration (the defaults of src/config.ts). */
const DEFAULT_RETENTION: RetentionPolicy = Object.freeze({ customerYears: 10, complaintYears: 5 });
const DEFAULT_WORKING_HOURS: WorkingHours = Object.freeze({ timeZone: "UTC", startHour: 7, endHour: 20, days: Object.freeze([1, 2, 3, 4, 5]) });

export function describe(error: unknown): { name: string; code?: string } {
  const e = error as { name?: string; code?: string; driverError?: { code?: string } };
  return { name: e?.name ?? typeof error, code: e?.code ?? e?.driverError?.code };
}
