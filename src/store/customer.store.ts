// Customer rows in and out: policy-scoped SQL for lists, row checks for single reads, encryption on the
// way in, decryption only of permitted and requested fields on the way out — each one audited.
import { randomUUID } from "node:crypto";
import { CUSTOMER_PII_FIELDS, type BusinessLine, type CustomerPiiField } from "../domain/enums";
import { CustomerEntity, CustomerKeyEntity } from "../entities";
import { badInput, conflict, forbidden, notFound } from "../errors";
import { canOnRow, permittedFields, rulesToSql, type ColumnMap } from "../policies";
import type { UnitOfWork } from "./audited-store";
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
  if (filter.phone) qb.andWhere("c.phone_bidx = :phoneBidx", { phoneBidx: cipher.blindIndex("phone", filter.phone) });
  if (filter.email) qb.andWhere("c.email_bidx = :emailBidx", { emailBidx: cipher.blindIndex("email", filter.email) });
  if (filter.nationalId) {
    qb.andWhere("c.national_id_bidx = :nidBidx", { nidBidx: cipher.blindIndex("nationalId", filter.nationalId) });
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

/** Decrypts, for each row, the requested PII fields the principal may read, and records one read per row. */
async function revealCustomers(
  uow: UnitOfWork,
  cipher: CustomerCipher,
  rows: CustomerEntity[],
  wanted: readonly CustomerPiiField[],
): Promise<CustomerView[]> {
  const { ability } = requireActor(uow);
  const plans = rows.map((row) => {
    const allowed = new Set(permittedFields(ability, "read", "Customer", { ...row }));
    return { row, fields: wanted.filter((f) => allowed.has(f)) };
  });
  const needKeys = plans.filter((p) => p.fields.length > 0).map((p) => p.row.id);
  const keys = needKeys.length
    ? new Map((await uow.em.findBy(CustomerKeyEntity, needKeys.map((customerId) => ({ customerId })))).map((k) => [k.customerId, k]))
    : new Map<string, CustomerKeyEntity>();
  return plans.map(({ row, fields }) => {
    const pii: CustomerView["pii"] = {};
    if (fields.length > 0) {
      const key = keys.get(row.id);
      if (!key) throw new Error(`customer ${row.id} has no data key`);
      const dek = cipher.openDataKey(row.id, { version: key.kekVersion, wrapped: key.wrappedDek });
      for (const field of fields) {
        const blob = row[ENC_COLUMN[field]] as Buffer | null;
        pii[field] = blob ? cipher.openCustomerField(dek, row.id, field, blob) : null;
      }
    }
    uow.record({ action: "customer.read", resourceType: "customer", resourceId: row.id, outcome: "SUCCESS", fields });
    return toView(row, pii);
  });
}

export async function createCustomer(uow: UnitOfWork, cipher: CustomerCipher, input: CustomerPii): Promise<CustomerView> {
  const { ability, principal } = requireActor(uow);
  if (!ability.can("create", "Customer")) {
    uow.recordAttempt({ action: "customer.create", resourceType: "customer", resourceId: null, outcome: "DENIED" });
    throw forbidden();
  }
  const nationalIdBidx = cipher.blindIndex("nationalId", input.nationalId);
  if (await uow.em.existsBy(CustomerEntity, { nationalIdBidx })) {
    throw conflict("A customer with this national id already exists");
  }
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
  const written = CUSTOMER_PII_FIELDS.filter((f) => input[f] !== null);
  uow.record({ action: "customer.create", resourceType: "customer", resourceId: id, outcome: "SUCCESS", fields: written });
  // The creator sees back only what a read would show them.
  const readable = new Set(permittedFields(ability, "read", "Customer", { ...row }));
  const pii: CustomerView["pii"] = {};
  for (const f of CUSTOMER_PII_FIELDS) if (readable.has(f)) pii[f] = input[f];
  return toView(row, pii);
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
