// Customer rows in and out: policy-scoped SQL for lists, row checks for single reads, encryption on the
// way in, decryption only of permitted and requested fields on the way out — each one audited.
import { randomUUID } from "node:crypto";
import { CUSTOMER_PII_FIELDS, type BusinessLine, type CustomerPiiField } from "../domain/enums";
import { CustomerEntity, CustomerKeyEntity } from "../entities";
import { maskPii } from "../domain/masking";
import { badInput, conflict, CustosError, forbidden, notFound } from "../errors";
import { canOnRow, fieldLevels, permittedFields, rulesToSql, type AppAbility, type ColumnMap, type FieldLevel } from "../policies";
import type { UnitOfWork } from "./audited-store";
import { assertNationalIdFree, blindIndexMatch } from "./blind-index.store";
import type { CustomerCipher } from "./customer-cipher";
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from "./paging";
import { requireActor, isUuid, isUniqueViolation } from "./store-support";

export interface CustomerView {
  id: string;
  reference: string;
  businessLines: BusinessLine[];
  status: string;
  createdAt: Date;
  updatedAt: Date;
  /** Decrypted PII; a field is absent when the principal may not see it or did not ask for it. */
  pii: Partial<Record<CustomerPiiField, string | null>>;
}

export interface CustomerPii {
  fullName: string;
  nationalId: string;
  phone: string | null;
  email: string | null;
  address: string | null;
}

export interface CustomerFilter {
  phone?: string | null;
  email?: string | null;
  nationalId?: string | null;
}

/** How policy fields map to SQL in this store's queries (exported so tests check the real map). */
export const CUSTOMER_COLUMNS: ColumnMap = {
  id: { column: "c.id" },
  businessLines: { column: "c.business_lines", array: true },
  status: { column: "c.status" },
};

const ENC_COLUMN: Record<CustomerPiiField, keyof CustomerEntity> = {
  fullName: "fullNameEnc",
  nationalId: "nationalIdEnc",
  phone: "phoneEnc",
  email: "emailEnc",
  address: "addressEnc",
};

export async function readCustomer(uow: UnitOfWork, cipher: CustomerCipher, id: string, wanted: readonly CustomerPiiField[]) {
  const { ability } = requireActor(uow);
  const attempt = { action: "customer.read", resourceType: "customer", resourceId: isUuid(id) ? id : null };
  if (!ability.can("read", "Customer")) {
    uow.recordAttempt({ ...attempt, outcome: "DENIED" });
    throw forbidden();
  }
  const row = isUuid(id) ? await uow.em.findOne(CustomerEntity, { where: { id } }) : null;
  if (!row) {
    uow.recordAttempt({ ...attempt, outcome: "NOT_FOUND" });
    throw notFound("Customer");
  }
  // Out of scope looks exactly like missing to the caller; the audit log tells them apart.
  if (!canOnRow(ability, "read", "Customer", { ...row })) {
    uow.recordAttempt({ ...attempt, outcome: "DENIED" });
    throw notFound("Customer");
  }
  const [view] = await revealCustomers(uow, cipher, [row], wanted);
  return view;
}

/** Checks the principal may read this customer (row level) without decrypting or recording a read. */
export async function assertCustomerReadable(uow: UnitOfWork, id: string, action: string): Promise<CustomerEntity> {
  const { ability } = requireActor(uow);
  const row = isUuid(id) ? await uow.em.findOne(CustomerEntity, { where: { id } }) : null;
  if (!row || !canOnRow(ability, "read", "Customer", { ...row })) {
    uow.recordAttempt({ action, resourceType: "customer", resourceId: row ? row.id : null, outcome: row ? "DENIED" : "NOT_FOUND" });
    throw notFound("Customer");
  }
  return row;
}

export async function listCustomers(
  uow: UnitOfWork,
  cipher: CustomerCipher,
  filter: CustomerFilter,
  page: PageRequest,
  wanted: readonly CustomerPiiField[],
): Promise<Page<CustomerView>> {
  const { ability } = requireActor(uow);
  const searched = (["phone", "email", "nationalId"] as const).filter((f) => filter[f] !== null && filter[f] !== undefined);
  if (!ability.can("read", "Customer")) {
    uow.recordAttempt({ action: "customer.search", resourceType: "customer", resourceId: null, outcome: "DENIED", fields: searched });
    throw forbidden();
  }
  const blank = searched.find((f) => filter[f]!.trim() === "");
  if (blank) throw badInput(`${blank} must not be empty`, blank);
  const size = pageSize(page.first);
  const after = decodeCursor(page.after, "time");
  const scope = rulesToSql(ability, "read", "Customer", CUSTOMER_COLUMNS);
  const qb = uow.em.createQueryBuilder(CustomerEntity, "c").where(scope.sql, scope.params);
  // Under every blind-index version in use, so a lookup finds rows a rotation has or has not yet rebuilt.
  for (const f of searched) {
    const match = blindIndexMatch(cipher, f, filter[f]!, "c");
    qb.andWhere(match.sql, match.params);
  }
  const totalCount = await qb.getCount();
  if (after) qb.andWhere("(c.created_at, c.id) < (:afterAt, :afterId)", { afterAt: after[0], afterId: after[1] });
  const rows = await qb.orderBy("c.created_at", "DESC").addOrderBy("c.id", "DESC").take(size + 1).getMany();
  if (searched.length > 0) {
    // A lookup by identifier is itself an access worth recording, even when it finds nothing.
    uow.record({
      action: "customer.search",
      resourceType: "customer",
      resourceId: null,
      outcome: "SUCCESS",
      fields: searched,
      details: { matches: totalCount },
    });
  }
  const shown = rows.slice(0, size);
  const views = await revealCustomers(uow, cipher, shown, wanted);
  const byId = new Map(views.map((v) => [v.id, v]));
  return toPage(rows, size, totalCount, (r) => byId.get(r.id)!, (r) => [r.createdAt.toISOString(), r.id]);
}

/**
 * For each row, decrypts the requested PII fields the principal may see (in full or masked), masks where
 * the policy says so, and records one read per row listing what was decrypted and what was masked.
 */
async function revealCustomers(
  uow: UnitOfWork,
  cipher: CustomerCipher,
  rows: CustomerEntity[],
  wanted: readonly CustomerPiiField[],
): Promise<CustomerView[]> {
  const { ability } = requireActor(uow);
  const plans = rows.map((row) => {
    const levels = fieldLevels(ability, "Customer", { ...row }, wanted);
    return { row, levels, fields: wanted.filter((f) => levels.get(f) !== "hidden") };
  });
  const needKeys = plans.filter((p) => p.fields.length > 0).map((p) => p.row.id);
  const keys = needKeys.length
    ? new Map((await uow.em.findBy(CustomerKeyEntity, needKeys.map((customerId) => ({ customerId })))).map((k) => [k.customerId, k]))
    : new Map<string, CustomerKeyEntity>();
  return plans.map(({ row, levels, fields }) => {
    const pii: CustomerView["pii"] = {};
    const key = keys.get(row.id);
    if (fields.length > 0 && key?.wrappedDek === null) {
      // Erased: the PII is gone by design. The fields read as null and nothing was decrypted.
      for (const field of fields) pii[field] = null;
      uow.record({ action: "customer.read", resourceType: "customer", resourceId: row.id, outcome: "SUCCESS", fields: [], details: { erased: true } });
      return toView(row, pii);
    }
    if (fields.length > 0) {
      if (!key) throw new Error(`customer ${row.id} has no data key`);
      const dek = cipher.openDataKey(row.id, { version: key.kekVersion, wrapped: key.wrappedDek });
      for (const field of fields) {
        const blob = row[ENC_COLUMN[field]] as Buffer | null;
        const clear = blob ? cipher.openCustomerField(dek, row.id, field, blob) : null;
        pii[field] = clear === null || levels.get(field) === "full" ? clear : maskPii(field, clear);
      }
    }
    uow.record({ action: "customer.read", resourceType: "customer", resourceId: row.id, outcome: "SUCCESS", fields, details: maskedDetail(levels) });
    return toView(row, pii);
  });
}

/** `{ masked: "nationalId,phone" }` when any requested field was shown masked (for access reports). */
export function maskedDetail(levels: ReadonlyMap<string, FieldLevel>): Record<string, string> {
  const masked = [...levels].filter(([, level]) => level === "masked").map(([f]) => f).sort();
  return masked.length ? { masked: masked.join(",") } : {};
}

export async function createCustomer(uow: UnitOfWork, cipher: CustomerCipher, input: CustomerPii): Promise<CustomerView> {
  const { ability, principal } = requireActor(uow);
  const given = CUSTOMER_PII_FIELDS.filter((f) => input[f] !== null);
  const settable = new Set(permittedFields(ability, "create", "Customer", {}));
  const refused = given.filter((f) => !settable.has(f));
  if (!ability.can("create", "Customer") || refused.length > 0) {
    uow.recordAttempt({ action: "customer.create", resourceType: "customer", resourceId: null, outcome: "DENIED", fields: refused });
    throw refused.length ? forbiddenFields(refused) : forbidden();
  }
  const nationalIdBidx = cipher.blindIndex("nationalId", input.nationalId);
  await assertNationalIdFree(uow, cipher, input.nationalId, null);
  const id = randomUUID();
  const { dek, stored } = cipher.newDataKey(id);
  const [{ n }] = await uow.em.query(`SELECT nextval('customer_reference_seq')::text AS n`);
  const seal = (field: CustomerPiiField, value: string | null) => (value === null ? null : cipher.sealCustomerField(dek, id, field, value));
  const lines = principal.businessLine ? [principal.businessLine] : [];
  const row = uow.em.create(CustomerEntity, {
    id,
    reference: `C${String(n).padStart(7, "0")}`,
    businessLines: lines,
    status: "ACTIVE",
    fullNameEnc: seal("fullName", input.fullName)!,
    nationalIdEnc: seal("nationalId", input.nationalId)!,
    phoneEnc: seal("phone", input.phone),
    emailEnc: seal("email", input.email),
    addressEnc: seal("address", input.address),
    nationalIdBidx,
    phoneBidx: input.phone === null ? null : cipher.blindIndex("phone", input.phone),
    emailBidx: input.email === null ? null : cipher.blindIndex("email", input.email),
    bidxVersion: cipher.blindIndexKeyring.current,
    createdBy: principal.id,
    createdAt: uow.now,
    updatedAt: uow.now,
    version: 1,
  });
  try {
    await uow.em.insert(CustomerEntity, row);
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict("A customer with this national id already exists");
    throw error;
  }
  await uow.em.insert(CustomerKeyEntity, { customerId: id, kekVersion: stored.version, wrappedDek: stored.wrapped, createdAt: uow.now });
  uow.record({ action: "customer.create", resourceType: "customer", resourceId: id, outcome: "SUCCESS", fields: given });
  return toView(row, echoAsRead(ability, row, input));
}

/** The writer sees back only what a read would show them, masked where a read would be. */
function echoAsRead(ability: AppAbility, row: CustomerEntity, values: Partial<Record<CustomerPiiField, string | null>>): CustomerView["pii"] {
  const levels = fieldLevels(ability, "Customer", { ...row }, CUSTOMER_PII_FIELDS);
  const pii: CustomerView["pii"] = {};
  for (const f of CUSTOMER_PII_FIELDS) {
    const value = values[f];
    if (value === undefined || levels.get(f) === "hidden") continue;
    pii[f] = value === null || levels.get(f) === "full" ? value : maskPii(f, value);
  }
  return pii;
}

/** Writing to an erased customer (or a case of theirs) is refused; the rule names why. */
export function customerErased(): CustosError {
  return new CustosError("CONFLICT", "The customer was erased", { rule: "CUSTOMER_ERASED" });
}

function forbiddenFields(fields: readonly string[]) {
  return new CustosError("FORBIDDEN", `Not allowed to set: ${fields.join(", ")}`, { fields: fields.join(",") });
}

export type CustomerUpdate = Partial<Record<"fullName" | "nationalId" | "phone" | "email" | "address", string | null>>;

/**
 * Changes the given PII fields. Fields the role may not write are refused (FORBIDDEN, nothing written);
 * the rest are re-encrypted under the customer's key and their blind indexes rebuilt.
 */
export async function updateCustomer(uow: UnitOfWork, cipher: CustomerCipher, id: string, changes: CustomerUpdate): Promise<CustomerView> {
  const { ability } = requireActor(uow);
  const given = CUSTOMER_PII_FIELDS.filter((f) => changes[f] !== undefined);
  // A role that may update no customer at all is refused as such, like a read by a role that may read none.
  if (!ability.can("update", "Customer")) {
    uow.recordAttempt({ action: "customer.update", resourceType: "customer", resourceId: isUuid(id) ? id : null, outcome: "DENIED", fields: given });
    throw given.length ? forbiddenFields(given) : forbidden();
  }
  const row = await assertCustomerReadable(uow, id, "customer.update");
  const writable = new Set(permittedFields(ability, "update", "Customer", { ...row }));
  const refused = given.filter((f) => !writable.has(f));
  if (refused.length > 0 || given.length === 0) {
    if (given.length === 0) throw badInput("nothing to change", "input");
    uow.recordAttempt({ action: "customer.update", resourceType: "customer", resourceId: row.id, outcome: "DENIED", fields: refused });
    throw forbiddenFields(refused);
  }
  const key = await uow.em.findOneByOrFail(CustomerKeyEntity, { customerId: row.id });
  if (row.status === "ERASED" || key.wrappedDek === null) throw customerErased();
  const dek = cipher.openDataKey(row.id, { version: key.kekVersion, wrapped: key.wrappedDek });
  const patch: Partial<CustomerEntity> = { updatedAt: uow.now, version: row.version + 1 };
  for (const f of given) {
    const value = changes[f] ?? null;
    if (value === null && (f === "fullName" || f === "nationalId")) throw badInput(`${f} cannot be removed`, f);
    (patch as Record<string, unknown>)[ENC_COLUMN[f]] = value === null ? null : cipher.sealCustomerField(dek, row.id, f, value);
  }
  if (given.some((f) => f === "phone" || f === "email" || f === "nationalId")) {
    if (changes.nationalId) await assertNationalIdFree(uow, cipher, changes.nationalId, row.id);
    // All three indexes under the current version, so the row's one bidx_version covers them all even
    // when a blind-index rotation has not reached it yet.
    for (const f of ["nationalId", "phone", "email"] as const) {
      const value = changes[f] !== undefined ? changes[f] : row[ENC_COLUMN[f]] ? cipher.openCustomerField(dek, row.id, f, row[ENC_COLUMN[f]] as Buffer) : null;
      (patch as Record<string, unknown>)[`${f}Bidx`] = value === null ? null : cipher.blindIndex(f, value);
    }
    patch.bidxVersion = cipher.blindIndexKeyring.current;
  }
  try {
    const result = await uow.em.update(CustomerEntity, { id: row.id, version: row.version }, patch);
    if (result.affected !== 1) throw conflict("The customer changed meanwhile; reload and try again");
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict("A customer with this national id already exists");
    throw error;
  }
  uow.record({ action: "customer.update", resourceType: "customer", resourceId: row.id, outcome: "SUCCESS", fields: given });
  const fresh = await uow.em.findOneByOrFail(CustomerEntity, { id: row.id });
  return toView(fresh, echoAsRead(ability, fresh, Object.fromEntries(given.map((f) => [f, changes[f] ?? null]))));
}

function toView(row: CustomerEntity, pii: CustomerView["pii"]): CustomerView {
  return {
    id: row.id,
    reference: row.reference,
    businessLines: row.businessLines,
    status: row.status,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    pii,
  };
}
