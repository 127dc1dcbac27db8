// Staff accounts and teams: creation with a password policy, audited like every other write.
import { StaffUserEntity, TeamEntity } from "../entities";
import { BUSINESS_LINES, isOneOf, ROLES, type BusinessLine, type Role } from "../domain/enums";
import { hashPassword, type PasswordParams } from "../crypto";
import { badInput, conflict } from "../errors";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import { isUniqueViolation } from "../store/store-support";
import { assertPasswordPolicy } from "./password-policy";

const LINE_ROLES: readonly Role[] = ["AGENT", "TEAM_LEAD"];

export interface NewStaffUser {
  email: string;
  displayName?: string;
  role: string;
  businessLine?: string | null;
  password: string;
}

export class StaffService {
  constructor(
    private readonly store: AuditedStore,
    private readonly passwordParams: PasswordParams,
  ) {}

  /** Validates and creates a staff user; the team of an agent or lead is their business line's team. */
  async add(actor: AuditActor, input: NewStaffUser): Promise<{ id: string; email: string; role: Role; businessLine: BusinessLine | null }> {
    const email = input.email.trim().toLowerCase();
    if (!/^[^\s@\u0000-\u001f\u007f]+@[^\s@\u0000-\u001f\u007f]+$/.test(email) || email.length > 254) throw badInput("email must be an e-mail address", "email");
    if (!isOneOf(ROLES, input.role)) throw badInput(`role must be one of ${ROLES.join(", ")}`, "role");
    const role = input.role;
    const line = input.businessLine ?? null;
    if (LINE_ROLES.includes(role) !== (line !== null)) {
      throw badInput(`${role} ${LINE_ROLES.includes(role) ? "needs" : "takes no"} business line`, "businessLine");
    }
    if (line !== null && !isOneOf(BUSINESS_LINES, line)) throw badInput(`businessLine must be one of ${BUSINESS_LINES.join(", ")}`, "businessLine");
    assertPasswordPolicy(input.password);
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
          }),
        );
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict("A staff user with this e-mail already exists");
        throw error;
      }
      uow.record({ action: "staff.create", resourceType: "staff_user", resourceId: user.id, outcome: "SUCCESS", fields: ["role", "businessLine"], details: { role } });
      return { id: user.id, email, role, businessLine: line };
    });
  }
}

async function ensureTeam(em: import("typeorm").EntityManager, line: BusinessLine): Promise<TeamEntity> {
  await em.query(`INSERT INTO team (name, business_line) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [`${line.toLowerCase()} team`, line]);
  return em.findOneOrFail(TeamEntity, { where: { businessLine: line } });
}
