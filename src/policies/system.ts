// Abilities of the system's own scheduled tasks (no principal: the audit log records actor null and the
// task's operation name). Each task gets exactly what it needs, as data like the roles' policies.
import { createMongoAbility } from "@casl/ability";
import type { AppAbility } from "./roles";

const SYSTEM_TASKS = {
  // The daily service-quality evaluation: the whole bank's figures, and alerts for breached targets.
  "quality-evaluation": [
    { action: "read", subject: "ServiceQuality" },
    { action: "create", subject: "QualityAlert" },
  ],
} as const;

export type SystemTask = keyof typeof SYSTEM_TASKS;

export function defineSystemAbility(task: SystemTask): AppAbility {
  const rules = SYSTEM_TASKS[task];
  if (!rules) throw new TypeError(`unknown system task ${String(task)}`);
  return createMongoAbility(rules.map((r) => ({ ...r })));
}
