// Regulators' reports (docs/regulatory-reports.md): checks the permission, reads the period's data in one
// READ ONLY unit of work that records the `report.generate` audit event, anchors the report on a signed
// audit checkpoint at or after the data it read (sealing one if needed), renders the file and signs its
// hash with the checkpoint key.
import type { DataSource } from "typeorm";
import type { Clock } from "../clock";
import { DAY_MS } from "../clock";
import type { WorkingHours } from "../config";
import { isOneOf, MANDATORY_TRAINING_COURSE } from "../domain/enums";
import { buildComplaintReturn, share } from "../domain/report-complaints";
import { buildAccessReport, buildTrainingControls } from "../domain/report-status";
import { badInput, CustosError, forbidden } from "../errors";
import { canOnRow } from "../policies";
import { REPORT_FORMATS, REPORT_KINDS, toDocument, type ReportData, type ReportFormat, type ReportKind } from "../reports/report-document";
import { renderReport, REPORT_MEDIA_TYPES } from "../reports/report-render";
import { reportSignaturePayload, sha256Hex, signReportPayload } from "../reports/report-signature";
import { selectDeniedCounts, selectHeadSeq, selectOutsideWorkingHours, selectUnrelatedReads, selectVolumeAboveBaseline } from "../store/audit-report.store";
import type { AuditActor, AuditedStore, UnitOfWork } from "../store/audited-store";
import {
  countOutstandingComplaints,
  selectAccessByActor,
  selectClosedComplaints,
  selectControlStatus,
  selectReceivedComplaints,
  selectReportCalendar,
  selectTrainingStatus,
} from "../store/report-data.store";
import { requireActor } from "../store/store-support";
import type { CheckpointKeys, CheckpointService } from "./checkpoint.service";
import { anchorCheckpoint, signWithCurrentKey } from "./evidence-signing";

export const REPORT_MAX_DAYS = 366;
const GENERATOR = "custos regulatory reports v1";

export interface ReportRequest {
  kind: ReportKind;
  from: Date;
  to: Date;
  format: ReportFormat;
}

export interface GeneratedReport {
  kind: ReportKind;
  format: ReportFormat;
  fileName: string;
  mediaType: string;
  content: Buffer;
  /** The detached signature (compact JWS), what `FILE.jws` holds. */
  signature: string;
  sha256: string;
  checkpointSeq: number;
  rootHash: string;
  kid: string;
  generatedAt: Date;
}

export class RegulatoryReportService {
  readonly #ds: DataSource;
  readonly #store: AuditedStore;
  readonly #checkpoints: CheckpointService;
  readonly #clock: Clock;
  readonly #workingHours: WorkingHours;
  readonly #reviewDays: number;
  #keys: CheckpointKeys | null;

  constructor(deps: { ds: DataSource; store: AuditedStore; checkpoints: CheckpointService; keys: CheckpointKeys | null; clock: Clock; workingHours: WorkingHours; suggestionReviewDays: number }) {
    this.#ds = deps.ds;
    this.#store = deps.store;
    this.#checkpoints = deps.checkpoints;
    this.#keys = deps.keys;
    this.#clock = deps.clock;
    this.#workingHours = deps.workingHours;
    this.#reviewDays = deps.suggestionReviewDays;
  }

  /** `operator`: the CLI, recorded without a principal and not checked against a role. */
  async generate(actor: AuditActor, request: ReportRequest, opts: { operator?: boolean } = {}): Promise<GeneratedReport> {
    const { kind, from, to, format } = request;
    if (!isOneOf(REPORT_KINDS, kind)) throw badInput(`kind must be one of ${REPORT_KINDS.join(", ")}`, "kind");
    if (!isOneOf(REPORT_FORMATS, format)) throw badInput(`format must be one of ${REPORT_FORMATS.join(", ")}`, "format");
    if (!(from instanceof Date) || Number.isNaN(from.getTime())) throw badInput("from must be a date", "from");
    if (!(to instanceof Date) || Number.isNaN(to.getTime())) throw badInput("to must be a date", "to");
    if (from.getTime() >= to.getTime()) throw badInput("from must be before to", "from");
    if (to.getTime() - from.getTime() > REPORT_MAX_DAYS * DAY_MS) throw badInput(`the period may span at most ${REPORT_MAX_DAYS} days`, "to");
    if (!this.#keys) throw new CustosError("CONFLICT", "Audit checkpoints are off: a signed report needs the checkpoint signing key");

    const { data, headSeq } = await this.#store.run(actor, null, async (uow) => {
      if (!opts.operator) {
        const { ability } = requireActor(uow);
        if (!canOnRow(ability, "export", "RegulatoryReport", { kind })) {
          uow.recordAttempt({ action: "report.generate", resourceType: "regulatory_report", resourceId: null, outcome: "DENIED", details: { report: kind, format } });
          throw forbidden();
        }
      }
      const head = await selectHeadSeq(uow.em);
      const built = await this.#read(uow, kind, from, to);
      uow.record({
        action: "report.generate",
        resourceType: "regulatory_report",
        resourceId: null,
        outcome: "SUCCESS",
        fields: ["format", "from", "kind", "to"],
        details: { report: kind, format, from: from.toISOString(), to: to.toISOString(), headSeq: head },
      });
      return { data: built, headSeq: head };
    });

    const anchor = await this.#anchorFor(headSeq);
    this.#keys = (await this.#keys.refresh?.()) ?? this.#keys;
    const activated = this.#keys.current.activatedAt !== undefined ? Date.parse(this.#keys.current.activatedAt) : -Infinity;
    const now = this.#clock.now();
    const generatedAt = now.getTime() >= activated ? now : new Date(activated);
    const kid = this.#keys.current.kid;
    const doc = toDocument(data, { generatedAt: generatedAt.toISOString(), generator: GENERATOR, checkpoint: { seq: anchor.seq, rootHash: anchor.rootHash, kid } });
    const content = await renderReport(format, doc, data);
    const sha256 = sha256Hex(content);
    const payload = reportSignaturePayload({
      kind,
      format,
      sha256,
      size: content.length,
      from: from.toISOString(),
      to: to.toISOString(),
      generatedAt: generatedAt.toISOString(),
      checkpoint: anchor,
      kid,
    });
    const signature = await this.#sign(payload, kid);
    const stamp = `${from.toISOString().slice(0, 10)}_${to.toISOString().slice(0, 10)}`;
    return {
      kind,
      format,
      fileName: `custos-${kind}-${stamp}.${format}`,
      mediaType: REPORT_MEDIA_TYPES[format],
      content,
      signature,
      sha256,
      checkpointSeq: anchor.seq,
      rootHash: anchor.rootHash,
      kid,
      generatedAt,
    };
  }

  async #read(uow: UnitOfWork, kind: ReportKind, from: Date, to: Date): Promise<ReportData> {
    const em = uow.em;
    if (kind === "complaints") {
      return buildComplaintReturn({
        from,
        to,
        calendar: await selectReportCalendar(em),
        received: await selectReceivedComplaints(em, from, to),
        closed: await selectClosedComplaints(em, from, to),
        outstandingAtPeriodEnd: await countOutstandingComplaints(em, to),
      });
    }
    if (kind === "access") {
      const denied = (await selectDeniedCounts(em, from, to)).map((d) => ({ actorId: d.actorId, actorRole: d.actorRole, denied: d.denied, notFound: d.notFound }));
      const findings = [
        ...(await selectUnrelatedReads(em, from, to)).map((f) => ({ kind: "UNRELATED_CUSTOMER", actorId: f.actorId, actorRole: f.actorRole, events: f.eventCount, detail: `customer ${f.customerId}` })),
        ...(await selectVolumeAboveBaseline(em, from, to)).map((f) => ({
          kind: "VOLUME_ABOVE_BASELINE",
          actorId: f.actorId,
          actorRole: f.actorRole,
          events: f.eventCount,
          detail: `baseline ${f.baselineCount}, threshold ${Math.round(f.threshold * 100) / 100}`,
        })),
        ...(await selectOutsideWorkingHours(em, from, to, this.#workingHours)).map((f) => ({ kind: "OUTSIDE_WORKING_HOURS", actorId: f.actorId, actorRole: f.actorRole, events: f.eventCount, detail: `day ${f.day}` })),
      ];
      return buildAccessReport({ from, to, byActor: await selectAccessByActor(em, from, to), denied, findings });
    }
    const at = new Date(to.getTime() - 1);
    return buildTrainingControls({
      from,
      to,
      course: MANDATORY_TRAINING_COURSE,
      staff: await selectTrainingStatus(em, at),
      controls: await selectControlStatus(em, at, this.#reviewDays),
      share,
    });
  }

  /** The first checkpoint committing to the Merkle tree at or after `headSeq`; sealed now if there is none. */
  #anchorFor(headSeq: number): Promise<{ seq: number; rootHash: string; jws: string }> {
    return anchorCheckpoint(this.#ds, this.#checkpoints, headSeq, "a signed report");
  }

  /** Signs with the current checkpoint key (services/evidence-signing.ts). */
  async #sign(payload: Uint8Array, kid: string): Promise<string> {
    const { signature, keys } = await signWithCurrentKey(this.#ds, this.#keys!, kid, "the report", (key) => signReportPayload(payload, key));
    this.#keys = keys;
    return signature;
  }
}
