// Sessions: a login opens a refresh-token family, every refresh rotates within it, logout revokes it.
// Refresh tokens are opaque 256-bit values; only their SHA-256 is stored.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { DataSource } from "typeorm";
import { HOUR_MS, type Clock } from "../clock";
import type { RequestMeta } from "../context";
import { issueAccessToken, type SigningKeySet } from "../crypto";
import { StaffUserEntity } from "../entities";
import { badInput, forbidden, unauthenticated } from "../errors";
import type { Principal } from "../policies";
import type { AuditActor, AuditedStore, UnitOfWork } from "../store/audited-store";
import {
  findRefreshToken,
  insertRefreshToken,
  isFamilyRevoked,
  lockRefreshToken,
  markRefreshTokenUsed,
  revokeFamily,
  type RefreshTokenRow,
} from "../store/session.store";
import { accountUsable, type TokenSettings } from "./auth.service";

/** Absolute lifetime of a session: its first refresh token's, and the most any rotated one gets. */
export const SESSION_LIFETIME_MS = 12 * HOUR_MS;

// 32 random bytes in base64url without padding: exactly 43 characters.
const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface SessionTokens {
  accessToken: string;
  expiresAt: Date;
  refreshToken: string;
  refreshExpiresAt: Date;
}

export interface SessionDeps {
  ds: DataSource;
  store: AuditedStore;
  /** Asked on every issue: the key set follows rotations of the key file. */
  signingKeys: () => Promise<SigningKeySet>;
  tokens: TokenSettings;
  clock: Clock;
}

type TokenSubject = Pick<Principal, "id" | "role" | "businessLine" | "teamId">;

const hashRefreshToken = (token: string) => createHash("sha256").update(token, "utf8").digest();

export class SessionService {
  constructor(private readonly deps: SessionDeps) {}

  /** Opens a session for a principal whose credentials were just verified; audited as the login's success. */
  open(meta: RequestMeta, principal: Principal): Promise<SessionTokens> {
    const actor: AuditActor = { principal, ability: null, meta };
    return this.deps.store.run(actor, { action: "auth.login", resourceType: "staff_user", resourceId: principal.id }, async (uow) => {
      const familyId = randomUUID();
      const expiresAt = new Date(uow.now.getTime() + SESSION_LIFETIME_MS);
      const refreshToken = await this.addRefreshToken(uow, { familyId, staffId: principal.id, expiresAt });
      const access = await this.issueAccess(principal, familyId, uow.now);
      uow.record({ action: "auth.login", resourceType: "staff_user", resourceId: principal.id, outcome: "SUCCESS", details: { familyId } });
      return { ...access, refreshToken, refreshExpiresAt: expiresAt };
    });
  }

  /**
   * Rotates: the presented token is spent and a new one (same family, same absolute expiry) comes
   * back with a new access token. A spent or revoked token revokes its whole family: either the
   * client or someone who copied its token is replaying it, and we cannot tell which.
   *
   * The events name the account as resource and no actor: no access token authenticated this call.
   */
  async refresh(meta: RequestMeta, refreshToken: string): Promise<SessionTokens> {
    const { ds, store } = this.deps;
    const actor: AuditActor = { principal: null, ability: null, meta };
    const tokenHash = REFRESH_TOKEN_PATTERN.test(refreshToken) ? hashRefreshToken(refreshToken) : null;
    const seen = tokenHash ? await findRefreshToken(ds.manager, tokenHash) : null;
    if (!tokenHash || !seen) {
      await store.recordStandalone(actor, [
        { action: "auth.refresh", resourceType: "staff_user", resourceId: null, outcome: "FAILURE", details: { reason: "unknown_token" } },
      ]);
      throw unauthenticated("Invalid or expired refresh token");
    }
    const result = await store.run(actor, { action: "auth.refresh", resourceType: "staff_user", resourceId: seen.staffId }, async (uow) => {
      // Rows are never deleted, so the locked read finds the row the unlocked one did, in its latest state.
      const row = (await lockRefreshToken(uow.em, seen.staffId, tokenHash)) ?? seen;
      const note = (outcome: "SUCCESS" | "DENIED" | "FAILURE", reason?: string) =>
        uow.record({
          action: "auth.refresh",
          resourceType: "staff_user",
          resourceId: row.staffId,
          outcome,
          details: reason ? { reason, familyId: row.familyId } : { familyId: row.familyId },
        });
      if (row.usedAt || row.revokedAt || (await isFamilyRevoked(uow.em, row.familyId))) {
        await revokeFamily(uow.em, row.staffId, row.familyId, "reuse", uow.now);
        note("DENIED", "reuse");
        return null; // committed: the revocation and its event must survive the refusal
      }
      if (row.expiresAt.getTime() <= uow.now.getTime()) {
        note("FAILURE", "expired");
        return null;
      }
      const user = await uow.em.findOne(StaffUserEntity, { where: { id: row.staffId } });
      const refusal = !user || !user.active ? "disabled_account" : !accountUsable(user, uow.now) ? "access_expired" : issuedBeforeCutoff(row, user) ? "revoked" : null;
      if (!user || refusal) {
        note("FAILURE", refusal ?? "disabled_account");
        return null;
      }
      const next = await this.addRefreshToken(uow, { familyId: row.familyId, staffId: row.staffId, expiresAt: row.expiresAt }, row);
      const access = await this.issueAccess(user, row.familyId, uow.now);
      note("SUCCESS");
      return { ...access, refreshToken: next, refreshExpiresAt: row.expiresAt };
    });
    if (!result) throw unauthenticated("Invalid or expired refresh token");
    return result;
  }

  /** Ends the caller's session: its refresh tokens, and through `sid` its access tokens. */
  logout(actor: AuditActor, sessionId: string | null): Promise<boolean> {
    const principal = actor.principal;
    if (!principal) throw unauthenticated("Authentication required");
    if (principal.kind !== "staff") throw forbidden("A machine identity has no session to end");
    if (!sessionId) throw badInput("this token belongs to no session");
    return this.deps.store.run(actor, { action: "auth.logout", resourceType: "staff_user", resourceId: principal.id }, async (uow) => {
      const revokedTokens = await revokeFamily(uow.em, principal.id, sessionId, "logout", uow.now);
      uow.record({ action: "auth.logout", resourceType: "staff_user", resourceId: principal.id, outcome: "SUCCESS", details: { familyId: sessionId, revokedTokens } });
      return true;
    });
  }

  /** Adds a token to a family (marking `spent` used and replaced by it, when rotating); returns the token. */
  private async addRefreshToken(
    uow: UnitOfWork,
    row: { familyId: string; staffId: string; expiresAt: Date },
    spent?: RefreshTokenRow,
  ): Promise<string> {
    const token = randomBytes(32).toString("base64url");
    const id = randomUUID();
    await insertRefreshToken(uow.em, { id, ...row, tokenHash: hashRefreshToken(token), issuedAt: uow.now });
    if (spent) await markRefreshTokenUsed(uow.em, spent.id, uow.now, id);
    return token;
  }

  private async issueAccess(subject: TokenSubject, familyId: string, now: Date): Promise<{ accessToken: string; expiresAt: Date }> {
    const { token, expiresAt } = await issueAccessToken(
      await this.deps.signingKeys(),
      { sub: subject.id, role: subject.role, businessLine: subject.businessLine, teamId: subject.teamId, sid: familyId },
      { ...this.deps.tokens, now },
    );
    return { accessToken: token, expiresAt };
  }
}

/** Same rule as for access tokens: whole seconds, so a token issued in the second of the change survives. */
function issuedBeforeCutoff(row: RefreshTokenRow, user: StaffUserEntity): boolean {
  return user.tokensValidAfter !== null && Math.floor(row.issuedAt.getTime() / 1000) < Math.floor(user.tokensValidAfter.getTime() / 1000);
}
