// The published policy matrix (docs/policy-matrix.md, linked from the README) is exactly what the policy
// source generates: a policy change without regenerating the document fails here.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROLES } from "../../../src/domain/enums";
import { renderPolicyMatrix } from "../../../src/policies/matrix";

describe("docs/policy-matrix.md", () => {
  const rendered = renderPolicyMatrix();

  it("is current (regenerate with: npx custos policies > docs/policy-matrix.md)", () => {
    expect(readFileSync(path.join(__dirname, "../../../docs/policy-matrix.md"), "utf8")).toBe(rendered);
  });

  it("has a section and a PII row for every role", () => {
    for (const role of ROLES) {
      expect(rendered).toContain(`### ${role}\n`);
      expect(rendered).toMatch(new RegExp(`^\\| ${role} \\|`, "m"));
    }
  });

  it("shows the three PII levels the roles have today", () => {
    expect(rendered).toMatch(/^\| AGENT \| full† \| masked \|/m);
    expect(rendered).toMatch(/^\| SECURITY_ANALYST \| — \|/m);
  });
});
