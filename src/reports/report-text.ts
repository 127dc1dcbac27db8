// The text formats of a regulators' report: JSON (the report data with its provenance) and CSV (every
// table cell as one row of `table,row,column,value`, so the file stays rectangular and RFC 4180). Pure.
import { csvCell } from "../audit/export-format";
import { metadataRows, type ReportData, type ReportDocument } from "./report-document";

export const REPORT_JSON_FORMAT = "custos-regulatory-report";

/** JSON, two-space indented, keys in a fixed order, ending in a newline. */
export function renderJson(doc: ReportDocument, data: ReportData): Buffer {
  const body = { format: REPORT_JSON_FORMAT, version: 1, title: doc.title, provenance: doc.provenance, report: data };
  return Buffer.from(`${JSON.stringify(body, null, 2)}\n`, "utf8");
}

/**
 * CSV: header `table,row,column,value`; first the `metadata` table, then each table's cells row by row
 * (`row` is the row's first cell, the label; the label column itself is not repeated). CRLF line ends.
 */
export function renderCsv(doc: ReportDocument): Buffer {
  const lines: string[] = ["table,row,column,value"];
  for (const [k, v] of metadataRows(doc)) lines.push(["metadata", k, "value", v].map(csvCell).join(","));
  for (const t of doc.tables) {
    t.rows.forEach((row, i) => {
      // A table whose first column is not a label (e.g. one row of counts) names its rows by number.
      const labelled = typeof row[0] === "string" || row[0] === null;
      const label = labelled ? row[0] : String(i + 1);
      t.columns.forEach((col, j) => {
        if (labelled && j === 0) return;
        lines.push([t.id, label, col, row[j]].map(csvCell).join(","));
      });
    });
  }
  return Buffer.from(lines.join("\r\n") + "\r\n", "utf8");
}
