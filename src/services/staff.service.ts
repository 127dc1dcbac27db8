// Staff accounts and teams: creation with a password policy, audited like every other write.
import { StaffUserEntity, TeamEntity } from "../entities";
import { DAY_MS, type Clock } from "../clock";
import { BUSINESS_LINES, isOneOf, STAFF_ROLES, type BusinessLine, type StaffRole } from "../domain/enums";
import { hashPassword, type PasswordParams } from "../crypto";
import { badInput, conflict } from "../errors";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import { isUniqueViolation } from "../store/store-support";
import { assertPasswordPolicy } from "./password-policy";

const LINE_ROLES: readonly StaffRole[] = ["AGENT", "TEAM_LEAD"];
/** The longest window an external auditor is given at once. */
export const MAX_AUDITOR_WINDOW_MS = 90 * DAY_MS;

export interface NewStaffUser {
  email: string;
  displayName?: string;
  role: string;
  businessLine?: string | null;
  password: string;
  /** AUDITOR only, required: when the access ends (at most 90 days ahead). */
  accessExpiresAt?: Date | null;
}

export class StaffService {
  constructor(
    private readonly store: AuditedStore,
    private readonly passwordParams: PasswordParams,
    private readonly clock: Clock,
  ) {}

  /** Validates and creates a staff user; the team of an agent or lead is their business line's team. */
  async add(actor: AuditActor, input: NewStaffUser): Promise<{ id: string; email: string; role: StaffRole; businessLine: BusinessLine | null }> {
    const email = input.email.trim().toLowerCase();
    if (!/^[^\s@\u0000-\u001f\u007f]+@[^\s@\u0000-\u001f\u007f]+$/.test(email) || email.length > 254) throw badInput("email must be an e-mail address", "email");
    if (!isOneOf(STAFF_ROLES, input.role)) throw badInput(`role must be one of ${STAFF_ROLES.join(", ")}`, "role");
    const role = input.role;
    const line = input.businessLine ?? null;
    if (LINE_ROLES.includes(role) !== (line !== null)) {
      throw badInput(`${role} ${LINE_ROLES.includes(role) ? "needs" : "takes no"} business line`, "businessLine");
    }
    if (line !== null && !isOneOf(BUSINESS_LINES, line)) throw badInput(`businessLine must be one of ${BUSINESS_LINES.join(", ")}`, "businessLine");
    const expires = input.accessExpiresAt ?? null;
    if ((role === "AUDITOR") !== (expires !== null)) {
      throw badInput(`${role} ${role === "AUDITOR" ? "needs" : "takes no"} access expiry`, "accessExpiresAt");
    }
    const now = this.clock.now();
    if (expires && (Number.isNaN(expires.getTime()) || expires <= now || expires.getTime() - now.getTime() > MAX_AUDITOR_WINDOW_MS)) {
      throw badInput("accessExpiresAt must be in the future and at most 90 days ahead", "accessExpiresAt");
    }
    assertPasswordPolicy(input.password, "password", { email });
    const passwordHash = await hashPassword(input.password, this.passwordParams);
    return this.store.run(actor, { action: "staff.create", resourceType: "staff_user" }, async (uow) => {
      const team = line ? await ensureTeam(uow.em, line) : null;
      let user: StaffUserEntity;
      try {
        user = await uow.em.save(
          uow.em.create(StaffUserEntity, {
            email,
            displayName: input.displayName?.trim() || email,
            role,
            businessLine: line,
            teamId: team?.id ?? null,
            passwordHash,
            active: true,
            accessExpiresAt: expires,
          }),
        );
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict("A staff user with this e-mail already exists");
        throw error;
      }
      uow.record({ action: "staff.create", resourceType: "staff_user", resourceId: user.id, outcome: "SUCCESS", fields: ["role", "businessLine"], details: { role, ...(expires ? { accessExpiresAt: expires.toISOString() } : {}) } });
      return { id: user.id, email, role, businessLine: line };
    });
  }
}

async function ensureTeam(em: import("typeorm").EntityManager, line: BusinessLine): Promise<TeamEntity> {
  await em.query(`INSERT INTO team (name, business_line) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [`${line.toLowerCase()} team`, line]);
  return em.findOneOrFail(TeamEntity, { where: { businessLine: line } });
}
