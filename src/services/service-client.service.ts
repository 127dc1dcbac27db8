// Machine identities of internal apps: registration with scopes, and client credentials → access token.
import { randomBytes, randomUUID } from "node:crypto";
import type { DataSource } from "typeorm";
import type { Clock } from "../clock";
import type { RequestMeta } from "../context";
import { hashPassword, issueAccessToken, type PasswordParams, type PasswordVerifier, type SigningKeySet } from "../crypto";
import { isOneOf } from "../domain/enums";
import { ServiceClientEntity } from "../entities";
import { badInput, unauthenticated } from "../errors";
import { SERVICE_SCOPES, type Principal } from "../policies";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import type { TokenSettings } from "./auth.service";

export interface ServiceClientDeps {
  ds: DataSource;
  store: AuditedStore;
  passwords: PasswordVerifier;
  passwordParams: PasswordParams;
  /** Asked per use, so a rotated key file is followed without a restart. */
  signingKeys: () => Promise<SigningKeySet>;
  tokens: TokenSettings;
  clock: Clock;
}

const CLIENT_ID = /^svc_[A-Za-z0-9_-]{8,64}$/;

export function toServicePrincipal(client: ServiceClientEntity): Principal {
  return Object.freeze({
    id: client.id,
    role: "SERVICE" as const,
    businessLine: null,
    teamId: null,
    kind: "service" as const,
    // Training is a person's; an app's access is answered for by the team that registered it.
    trainingCurrent: true,
    scopes: Object.freeze(client.scopes.filter((s) => isOneOf(SERVICE_SCOPES, s))),
  });
}

export class ServiceClientService {
  constructor(private readonly deps: ServiceClientDeps) {}

  /** Registers an app; the secret is returned once and stored only as an argon2id hash. */
  async register(actor: AuditActor, input: { name: string; scopes: readonly string[] }): Promise<{ id: string; clientId: string; clientSecret: string }> {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 100) throw badInput("name must be 1 to 100 characters", "name");
    const unknown = input.scopes.filter((s) => !isOneOf(SERVICE_SCOPES, s));
    if (unknown.length > 0 || input.scopes.length === 0) throw badInput(`scopes must be some of ${SERVICE_SCOPES.join(", ")}`, "scopes");
    const clientId = `svc_${randomBytes(12).toString("base64url")}`;
    const clientSecret = randomBytes(32).toString("base64url");
    const secretHash = await hashPassword(clientSecret, this.deps.passwordParams);
    return this.deps.store.run(actor, { action: "service_client.create", resourceType: "service_client" }, async (uow) => {
      const id = randomUUID();
      await uow.em.insert(ServiceClientEntity, { id, clientId, name, secretHash, scopes: [...new Set(input.scopes)], active: true, createdAt: uow.now });
      uow.record({ action: "service_client.create", resourceType: "service_client", resourceId: id, outcome: "SUCCESS", details: { scopes: input.scopes.join(",") } });
      return { id, clientId, clientSecret };
    });
  }

  /** Client credentials grant: an unknown client and a wrong secret look alike and are both audited. */
  async exchange(meta: RequestMeta, clientId: string, clientSecret: string): Promise<{ accessToken: string; expiresAt: Date; expiresInSeconds: number; scopes: string[] }> {
    const { ds, store, passwords, clock } = this.deps;
    const client = CLIENT_ID.test(clientId) ? await ds.getRepository(ServiceClientEntity).findOneBy({ clientId }) : null;
    const ok = await passwords.verifyOrDummy(client?.active ? client.secretHash : null, clientSecret);
    if (!ok || !client || !client.active) {
      await store.recordStandalone({ principal: null, ability: null, meta }, [
        { action: "auth.client_credentials", resourceType: "service_client", resourceId: client?.id ?? null, outcome: "FAILURE", details: { reason: !client ? "unknown_client" : !client.active ? "disabled_client" : "bad_secret" } },
      ]);
      throw unauthenticated("Invalid client credentials");
    }
    const principal = toServicePrincipal(client);
    const now = clock.now();
    const issued = await issueAccessToken(
      await this.deps.signingKeys(),
      { sub: client.id, role: "SERVICE", businessLine: null, teamId: null },
      { ...this.deps.tokens, now },
    );
    await store.recordStandalone({ principal, ability: null, meta }, [
      { action: "auth.client_credentials", resourceType: "service_client", resourceId: client.id, outcome: "SUCCESS", details: { scopes: principal.scopes.join(",") } },
    ]);
    const expiresInSeconds = Math.round((issued.expiresAt.getTime() - now.getTime()) / 1000);
    return { accessToken: issued.token, expiresAt: issued.expiresAt, expiresInSeconds, scopes: [...principal.scopes] };
  }

  /** The principal behind a verified SERVICE token; the client row (scopes, active) is authoritative. */
  async principalFor(id: string): Promise<Principal | null> {
    const client = await this.deps.ds.getRepository(ServiceClientEntity).findOneBy({ id });
    return client && client.active ? toServicePrincipal(client) : null;
  }
}
