// Refresh-token rows and the per-request session check. Tokens are stored only as SHA-256 hashes; a
// family (one login) is revoked when any of its rows is, so a row added by a racing rotation cannot
// outlive a revocation.
import type { EntityManager } from "typeorm";
import { MANDATORY_TRAINING_COURSE } from "../domain/enums";
import { StaffUserEntity } from "../entities";

export type RevokeReason = "logout" | "reuse" | "password_change" | "disabled";

export interface RefreshTokenRow {
  id: string;
  familyId: string;
  staffId: string;
  issuedAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

const ROW_COLUMNS = `r.id, r.family_id AS "familyId", r.staff_id AS "staffId", r.issued_at AS "issuedAt",
  r.expires_at AS "expiresAt", r.used_at AS "usedAt", r.revoked_at AS "revokedAt"`;

export async function insertRefreshToken(
  em: EntityManager,
  row: { id: string; familyId: string; staffId: string; tokenHash: Buffer; issuedAt: Date; expiresAt: Date },
): Promise<void> {
  await em.query(
    `INSERT INTO refresh_token (id, family_id, staff_id, token_hash, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [row.id, row.familyId, row.staffId, row.tokenHash, row.issuedAt, row.expiresAt],
  );
}

/** Without a lock: who a presented token belongs to, if anyone. */
export async function findRefreshToken(em: EntityManager, tokenHash: Buffer): Promise<RefreshTokenRow | null> {
  const rows: RefreshTokenRow[] = await em.query(`SELECT ${ROW_COLUMNS} FROM refresh_token r WHERE r.token_hash = $1`, [tokenHash]);
  return rows[0] ?? null;
}

/**
 * Locks the account row (shared) and then the token row (exclusive), in the same order as the account
 * changes that revoke sessions (staff_user first, then refresh_token): no deadlock, and a password
 * change either sees this rotation's new row or makes this rotation wait and then refuse.
 */
export async function lockRefreshToken(em: EntityManager, staffId: string, tokenHash: Buffer): Promise<RefreshTokenRow | null> {
  await em.query(`SELECT 1 FROM staff_user WHERE id = $1 FOR SHARE`, [staffId]);
  const rows: RefreshTokenRow[] = await em.query(`SELECT ${ROW_COLUMNS} FROM refresh_token r WHERE r.token_hash = $1 FOR UPDATE`, [tokenHash]);
  return rows[0] ?? null;
}

/** A fresh statement (so a fresh snapshot under READ COMMITTED): true when any row of the family is revoked. */
export async function isFamilyRevoked(em: EntityManager, familyId: string): Promise<boolean> {
  const [row]: Array<{ revoked: boolean }> = await em.query(
    `SELECT EXISTS (SELECT 1 FROM refresh_token WHERE family_id = $1 AND revoked_at IS NOT NULL) AS revoked`,
    [familyId],
  );
  return row.revoked;
}

export async function markRefreshTokenUsed(em: EntityManager, id: string, usedAt: Date, replacedBy: string): Promise<void> {
  await em.query(`UPDATE refresh_token SET used_at = $2, replaced_by = $3 WHERE id = $1`, [id, usedAt, replacedBy]);
}

/** Revokes every not yet revoked row of one family of this account; returns how many rows changed. */
export async function revokeFamily(em: EntityManager, staffId: string, familyId: string, reason: RevokeReason, at: Date): Promise<number> {
  const [, count]: [unknown, number] = await em.query(
    `UPDATE refresh_token SET revoked_at = $3, revoked_reason = $4 WHERE staff_id = $1 AND family_id = $2 AND revoked_at IS NULL`,
    [staffId, familyId, at, reason],
  );
  return count;
}

/** Revokes every live family of an account; returns how many families that was. */
export async function revokeAllFamilies(em: EntityManager, staffId: string, reason: RevokeReason, at: Date): Promise<number> {
  const rows: Array<{ family_id: string }> = await em.query(
    `WITH revoked AS (
       UPDATE refresh_token SET revoked_at = $2, revoked_reason = $3 WHERE staff_id = $1 AND revoked_at IS NULL RETURNING family_id
     ) SELECT DISTINCT family_id FROM revoked`,
    [staffId, at, reason],
  );
  return rows.length;
}

/**
 * The account behind an access token and the state of its session, in one round trip:
 * `sessionLive` is true when the family exists for this account and none of it is revoked, false when
 * it is revoked, null when there is no such family.
 */
export async function findTokenHolder(
  em: EntityManager,
  staffId: string,
  familyId: string,
  now: Date,
): Promise<{ user: StaffUserEntity; sessionLive: boolean | null; trainingCurrent: boolean } | null> {
  const { entities, raw } = await em
    .createQueryBuilder(StaffUserEntity, "u")
    .addSelect(
      `(SELECT bool_and(r.revoked_at IS NULL) FROM refresh_token r WHERE r.family_id = :familyId AND r.staff_id = u.id)`,
      "session_live",
    )
    // The principal's training status rides on the same round trip (see isTrainingCurrent).
    .addSelect(
      `EXISTS (SELECT 1 FROM staff_training t WHERE t.staff_id = u.id AND t.course = :course AND t.completed_at <= :now AND t.expires_at > :now)`,
      "training_current",
    )
    .where("u.id = :staffId", { staffId, familyId, course: MANDATORY_TRAINING_COURSE, now })
    .getRawAndEntities<{ session_live: boolean | null; training_current: boolean }>();
  if (entities.length === 0) return null;
  return { user: entities[0], sessionLive: raw[0].session_live, trainingCurrent: raw[0].training_current === true };
}
