// Picks the renderer for a format.
import type { ReportData, ReportDocument, ReportFormat } from "./report-document";
import { renderPdf } from "./report-pdf";
import { renderCsv, renderJson } from "./report-text";
import { renderXlsx } from "./report-xlsx";

export const REPORT_MEDIA_TYPES: Record<ReportFormat, string> = {
  json: "application/json",
  csv: "text/csv; charset=utf-8; header=present",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  pdf: "application/pdf",
};

export async function renderReport(format: ReportFormat, doc: ReportDocument, data: ReportData): Promise<Buffer> {
  switch (format) {
    case "json":
      return renderJson(doc, data);
    case "csv":
      return renderCsv(doc);
    case "xlsx":
      return renderXlsx(doc);
    case "pdf":
      return renderPdf(doc);
  }
}
