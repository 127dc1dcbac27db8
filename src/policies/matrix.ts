// Renders the policy source itself as a readable matrix (markdown): `npx custos policies`.
import { ROLES, type Role } from "../domain/enums";
import { defineAbilityFor, fieldLevels } from "./ability";
import { CASE_PII_FIELDS, SERVICE_SCOPES, type Principal } from "./subjects";

// Sentinel values stand for "the caller's own": conditions then print as what they mean.
const SELF = "‹self›";
const OWN_LINE = "‹own line›";
const OWN_TEAM = "‹own team›";
const PII = ["fullName", "nationalId", "phone", "email", "address"] as const;
const ARRAY_FIELDS = new Set(["businessLines", "attendeeIds"]);

function principal(role: Role): Principal {
  const lined = role === "AGENT" || role === "TEAM_LEAD";
  return {
    id: SELF,
    role,
    businessLine: lined ? (OWN_LINE as Principal["businessLine"]) : null,
    teamId: lined ? OWN_TEAM : null,
    kind: role === "SERVICE" ? "service" : "staff",
    trainingCurrent: true,
    scopes: role === "SERVICE" ? [...SERVICE_SCOPES] : [],
  };
}

function describeConditions(conditions: unknown): string {
  if (!conditions || typeof conditions !== "object") return "all";
  return Object.entries(conditions as Record<string, unknown>)
    .map(([field, value]) => {
      if (value === null) return `${field} is empty`;
      if (Array.isArray(value)) return `${field} in ${value.join(", ")}`;
      if (typeof value === "object") return `${field} ${JSON.stringify(value)}`;
      return ARRAY_FIELDS.has(field) ? `${field} include ${String(value)}` : `${field} = ${String(value)}`;
    })
    .join(" and ");
}

const LEVEL_MARK = { full: "full†", masked: "masked", hidden: "—" } as const;

export function renderPolicyMatrix(): string {
  const out: string[] = [
    "# Custos policy matrix",
    "",
    "Generated from `src/policies/roles.ts` by `npx custos policies`; do not edit by hand (a test compares",
    "this file with the generator).",
    "",
    "† full only with current mandatory training (DATA_PROTECTION) and a stated purpose",
    "(`x-custos-purpose`); otherwise masked. SERVICE is shown with every scope; a real client has only",
    "the scopes it was registered with.",
    "",
    "## PII fields of a customer or case the role may see at all",
    "",
    `| role | ${[...PII, ...CASE_PII_FIELDS].join(" | ")} |`,
    `|---|${[...PII, ...CASE_PII_FIELDS].map(() => "---").join("|")}|`,
  ];
  for (const role of ROLES) {
    const ability = defineAbilityFor(principal(role), { purpose: "CASE_HANDLING" });
    const customer = fieldLevels(ability, "Customer", { businessLines: [OWN_LINE] }, PII);
    const kase = fieldLevels(ability, "Case", { businessLine: OWN_LINE, teamId: OWN_TEAM, assigneeId: SELF }, CASE_PII_FIELDS);
    const cells = [...PII.map((f) => LEVEL_MARK[customer.get(f)!]), ...CASE_PII_FIELDS.map((f) => LEVEL_MARK[kase.get(f)!])];
    out.push(`| ${role} | ${cells.join(" | ")} |`);
  }
  out.push("", "## Rules by role", "");
  for (const role of ROLES) {
    const ability = defineAbilityFor(principal(role), { purpose: "CASE_HANDLING" });
    out.push(`### ${role}`, "", "| action | subject | fields | rows |", "|---|---|---|---|");
    for (const rule of ability.rules) {
      const actions = ([] as string[]).concat(rule.action as string | string[]);
      const subjects = ([] as string[]).concat(rule.subject as string | string[]);
      const fields = rule.fields ? ([] as string[]).concat(rule.fields).join(", ") : "all";
      const pii = actions.includes("read") && rule.fields && ([] as string[]).concat(rule.fields).some((f) => (PII as readonly string[]).includes(f) || f === "summary");
      out.push(`| ${rule.inverted ? "cannot " : ""}${actions.join(", ")}${pii ? "†" : ""} | ${subjects.join(", ")} | ${fields} | ${describeConditions(rule.conditions)} |`);
    }
    out.push("");
  }
  return `${out.join("\n")}\n`;
}
