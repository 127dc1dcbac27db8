// Account changes that end sessions: a password change and a deactivation void every token issued
// before them (staff_user.tokens_valid_after) and revoke every refresh-token family of the account.
import type { DataSource } from "typeorm";
import { hashPassword, keyedReference, verifyPassword, type PasswordParams } from "../crypto";
import { StaffUserEntity } from "../entities";
import { badInput, conflict, CustosError, forbidden, notFound, unauthenticated } from "../errors";
import { canOnRow } from "../policies";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import { revokeAllFamilies } from "../store/session.store";
import { isUuid, requireActor } from "../store/store-support";
import type { LoginThrottle } from "./login-throttle";
import { assertPasswordPolicy } from "./password-policy";

const PASSWORD_CHANGE = "staff.password.change";
const WRONG_CURRENT = "currentPassword is not the account's password";

export class AccountService {
  constructor(
    private readonly deps: {
      ds: DataSource;
      store: AuditedStore;
      passwordParams: PasswordParams;
      /** The login throttle: a current-password check is a password guess like a login (same account key). */
      throttle: LoginThrottle;
      /** Keys the account reference the throttle counts under (as AuthService.login does). */
      referenceKey: Buffer;
    },
  ) {}

  /**
   * The caller's own password. A wrong current password is BAD_USER_INPUT (field currentPassword), not
   * UNAUTHENTICATED: the session is still valid, the input is not. Every refusal is audited. On success
   * every session of the account ends, the caller's included: it logs in again with the new password.
   */
  async changePassword(actor: AuditActor, currentPassword: string, newPassword: string): Promise<boolean> {
    const { ds, store } = this.deps;
    if (!actor.principal) throw unauthenticated("Authentication required");
    if (actor.principal.kind !== "staff") throw forbidden("A machine identity has no password");
    const user = await ds.getRepository(StaffUserEntity).findOne({ where: { id: actor.principal.id } });
    if (!user) throw unauthenticated("Authentication required");
    const refused = async (reason: string, error: CustosError) => {
      await store.recordStandalone(actor, [{ action: PASSWORD_CHANGE, resourceType: "staff_user", resourceId: user.id, outcome: "FAILURE", details: { reason } }]);
      return error;
    };
    // Counted like a login attempt, under the same account key: a stolen access token must not turn this
    // mutation into an unthrottled password oracle. A refusal looks like a wrong password plus when to retry.
    const subjectRef = keyedReference(this.deps.referenceKey, "login-email", user.email.trim().toLowerCase());
    const attempt = await this.deps.throttle.admit(subjectRef, actor.meta.clientAddress);
    if (!attempt.admitted) {
      const { reason, scope, retryAfterSeconds } = attempt;
      await store.recordStandalone(actor, [
        { action: PASSWORD_CHANGE, resourceType: "staff_user", resourceId: user.id, outcome: "FAILURE", details: { reason, scope, retryAfterSeconds, subjectRef } },
      ]);
      throw new CustosError("BAD_USER_INPUT", WRONG_CURRENT, { field: "currentPassword", retryAfterSeconds });
    }
    if (!(await verifyPassword(user.passwordHash, currentPassword))) {
      await store.recordStandalone(actor, [
        { action: PASSWORD_CHANGE, resourceType: "staff_user", resourceId: user.id, outcome: "FAILURE", details: { reason: "bad_current_password", subjectRef } },
        ...this.deps.throttle.lockEvents(attempt, subjectRef),
      ]);
      throw badInput(WRONG_CURRENT, "currentPassword");
    }
    await this.deps.throttle.succeeded(attempt);
    try {
      assertPasswordPolicy(newPassword, "newPassword", { email: user.email });
    } catch (error) {
      if (error instanceof CustosError) throw await refused("password_policy", error);
      throw error;
    }
    const passwordHash = await hashPassword(newPassword, this.deps.passwordParams);
    return store.run(actor, { action: PASSWORD_CHANGE, resourceType: "staff_user", resourceId: user.id }, async (uow) => {
      // Only if the hash is still the one verified above: two concurrent changes cannot both win.
      const [, changed]: [unknown, number] = await uow.em.query(
        `UPDATE staff_user SET password_hash = $2, password_changed_at = $3, tokens_valid_after = $3, updated_at = $3
         WHERE id = $1 AND password_hash = $4`,
        [user.id, passwordHash, uow.now, user.passwordHash],
      );
      if (changed !== 1) throw conflict("The password was changed by another request");
      const revokedSessions = await revokeAllFamilies(uow.em, user.id, "password_change", uow.now);
      uow.record({ action: PASSWORD_CHANGE, resourceType: "staff_user", resourceId: user.id, outcome: "SUCCESS", fields: ["password"], details: { revokedSessions } });
      return true;
    });
  }

  /** Deactivating voids every token of the account at once; reactivating lets it log in again. */
  setActive(actor: AuditActor, id: string, active: boolean): Promise<boolean> {
    const action = active ? "staff.enable" : "staff.disable";
    const resourceId = isUuid(id) ? id : null;
    return this.deps.store.run(actor, { action, resourceType: "staff_user", resourceId }, async (uow) => {
      const { principal, ability } = requireActor(uow);
      const deny = () => {
        uow.recordAttempt({ action, resourceType: "staff_user", resourceId, outcome: "DENIED" });
        return forbidden();
      };
      // Refused before the lookup, so that without the permission an id's existence is not revealed.
      if (!ability.can("manage", "StaffUser")) throw deny();
      // Locked in the same order as a refresh (staff_user, then refresh_token).
      const user = resourceId ? await uow.em.findOne(StaffUserEntity, { where: { id: resourceId }, lock: { mode: "pessimistic_write" } }) : null;
      if (!user) throw notFound("Staff user");
      const row = { id: user.id, role: user.role, businessLine: user.businessLine, teamId: user.teamId, active: user.active };
      if (!canOnRow(ability, "manage", "StaffUser", row)) throw deny();
      if (!active && user.id === principal.id) throw badInput("an account cannot deactivate itself", "id");
      let revokedSessions = 0;
      if (active) {
        await uow.em.query(`UPDATE staff_user SET active = true, updated_at = $2 WHERE id = $1`, [user.id, uow.now]);
      } else {
        await uow.em.query(`UPDATE staff_user SET active = false, tokens_valid_after = $2, updated_at = $2 WHERE id = $1`, [user.id, uow.now]);
        revokedSessions = await revokeAllFamilies(uow.em, user.id, "disabled", uow.now);
      }
      uow.record({ action, resourceType: "staff_user", resourceId: user.id, outcome: "SUCCESS", fields: ["active"], details: { wasActive: user.active, revokedSessions } });
      return true;
    });
  }
}
