// Wires the services from their dependencies; called by the composition root only.
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Clock } from "../clock";
import { DEFAULT_PASSWORD_PARAMS, PasswordVerifier, type KeyProvider, type PasswordParams } from "../crypto";
import { AuditedStore } from "../store/audited-store";
import { CustomerCipher } from "../store/customer-cipher";
import { AccountService } from "./account.service";
import { AuditService } from "./audit.service";
import { AuthService, type TokenSettings } from "./auth.service";
import { LoginThrottle } from "./login-throttle";
import { CaseService } from "./case.service";
import { CustomerService } from "./customer.service";
import { ServiceClientService } from "./service-client.service";
import { SessionService } from "./session.service";
import { StaffService } from "./staff.service";
import { TrainingService } from "./training.service";

export interface Services {
  store: AuditedStore;
  cipher: CustomerCipher;
  auth: AuthService;
  sessions: SessionService;
  accounts: AccountService;
  customers: CustomerService;
  cases: CaseService;
  audit: AuditService;
  staff: StaffService;
  training: TrainingService;
  serviceClients: ServiceClientService;
}

export async function createServices(deps: {
  ds: DataSource;
  keys: KeyProvider;
  clock: Clock;
  logger: Logger;
  tokens: TokenSettings;
  passwordParams?: PasswordParams;
}): Promise<Services> {
  const { ds, keys, clock, logger } = deps;
  const passwordParams = deps.passwordParams ?? DEFAULT_PASSWORD_PARAMS;
  const store = new AuditedStore(ds, clock, (error, context) => {
    // The cause is logged for operators; it never reaches the client. No PII is in an append.
    logger.error({ err: describe(error), ...context }, "audit append failed: operation refused (fail-closed)");
  });
  const blindKey = await keys.blindIndexKey();
  const cipher = new CustomerCipher(await keys.masterKeyring(), blindKey);
  const passwords = await PasswordVerifier.create(passwordParams);
  // Asked per use, so that a rotation of the key file reaches signing and verification without a restart.
  const currentSigningKeys = () => keys.tokenSigningKeys();
  const serviceClients = new ServiceClientService({ ds, store, passwords, passwordParams, signingKeys: currentSigningKeys, tokens: deps.tokens, clock });
  const sessions = new SessionService({ ds, store, signingKeys: currentSigningKeys, tokens: deps.tokens, clock });
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
    throttle: new LoginThrottle(ds, clock),
    servicePrincipal: (id) => serviceClients.principalFor(id),
  });
  return {
    store,
    cipher,
    auth,
    sessions,
    accounts: new AccountService({ ds, store, passwordParams }),
    customers: new CustomerService(store, cipher),
    cases: new CaseService(store, cipher),
    audit: new AuditService(store),
    staff: new StaffService(store, passwordParams, clock),
    training: new TrainingService(store),
    serviceClients,
  };
}

/** Error name and code only: database messages can quote the values of a failed statement. */
export function describe(error: unknown): { name: string; code?: string } {
  const e = error as { name?: string; code?: string; driverError?: { code?: string } };
  return { name: e?.name ?? typeof error, code: e?.code ?? e?.driverError?.code };
}
