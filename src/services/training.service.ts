// Compliance training records: kept by compliance officers; a current mandatory course unlocks full PII.
import { subject } from "@casl/ability";
import type { EntityManager } from "typeorm";
import { MANDATORY_TRAINING_COURSE } from "../domain/enums";
import { StaffTrainingEntity, StaffUserEntity } from "../entities";
import { badInput, forbidden, notFound } from "../errors";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import { isUuid, requireActor } from "../store/store-support";

export interface TrainingInput {
  staffId: string;
  course: string;
  completedAt: Date;
  expiresAt: Date;
}

/** Whether the staff member holds the mandatory course, unexpired, at `now`. */
export async function isTrainingCurrent(em: EntityManager, staffId: string, now: Date): Promise<boolean> {
  const rows: unknown[] = await em.query(
    `SELECT 1 FROM staff_training WHERE staff_id = $1 AND course = $2 AND completed_at <= $3 AND expires_at > $3 LIMIT 1`,
    [staffId, MANDATORY_TRAINING_COURSE, now],
  );
  return rows.length > 0;
}

export class TrainingService {
  constructor(private readonly store: AuditedStore) {}

  record(actor: AuditActor, input: TrainingInput): Promise<StaffTrainingEntity> {
    const course = input.course.trim().toUpperCase();
    if (!/^[A-Z][A-Z0-9_]{1,63}$/.test(course)) throw badInput("course must be a code of letters, digits and '_'", "course");
    if (!(input.expiresAt > input.completedAt)) throw badInput("expiresAt must be after completedAt", "expiresAt");
    return this.store.run(actor, { action: "training.record", resourceType: "staff_user", resourceId: input.staffId }, async (uow) => {
      const { ability, principal } = requireActor(uow);
      if (!ability.can("create", subject("Training", { staffId: input.staffId }) as never)) {
        uow.recordAttempt({ action: "training.record", resourceType: "staff_user", resourceId: isUuid(input.staffId) ? input.staffId : null, outcome: "DENIED" });
        throw forbidden();
      }
      if (!isUuid(input.staffId) || !(await uow.em.existsBy(StaffUserEntity, { id: input.staffId }))) throw notFound("Staff user");
      const saved = await uow.em.save(
        uow.em.create(StaffTrainingEntity, { ...input, course, recordedBy: principal.id, recordedAt: uow.now }),
      );
      uow.record({
        action: "training.record",
        resourceType: "staff_user",
        resourceId: input.staffId,
        outcome: "SUCCESS",
        details: { course, expiresAt: input.expiresAt.toISOString() },
      });
      return saved;
    });
  }

  list(actor: AuditActor, staffId: string): Promise<StaffTrainingEntity[]> {
    return this.store.run(actor, null, async (uow) => {
      const { ability } = requireActor(uow);
      if (!isUuid(staffId) || !ability.can("read", subject("Training", { staffId }) as never)) {
        uow.recordAttempt({ action: "training.read", resourceType: "staff_user", resourceId: isUuid(staffId) ? staffId : null, outcome: "DENIED" });
        throw forbidden();
      }
      uow.record({ action: "training.read", resourceType: "staff_user", resourceId: staffId, outcome: "SUCCESS" });
      return uow.em.find(StaffTrainingEntity, { where: { staffId }, order: { completedAt: "DESC" } });
    });
  }
}
