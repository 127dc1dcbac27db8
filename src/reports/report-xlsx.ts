// XLSX rendering with exceljs: a "Report" sheet with the metadata, then one sheet per table (header row
// bold, numbers as numbers). Workbook dates come from the report's generatedAt, never the wall clock.
import ExcelJS from "exceljs";
import { metadataRows, type ReportDocument } from "./report-document";

/** Sheet names: at most 31 characters, unique (exceljs refuses duplicates). */
function sheetName(id: string, used: Set<string>): string {
  let name = id.slice(0, 31);
  for (let i = 2; used.has(name); i++) name = `${id.slice(0, 28)}_${i}`;
  used.add(name);
  return name;
}

export async function renderXlsx(doc: ReportDocument): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const at = new Date(doc.provenance.generatedAt);
  wb.creator = doc.provenance.generator;
  wb.lastModifiedBy = doc.provenance.generator;
  wb.created = at;
  wb.modified = at;
  wb.title = doc.title;
  const used = new Set<string>();
  const meta = wb.addWorksheet(sheetName("Report", used));
  meta.addRow(["field", "value"]).font = { bold: true };
  for (const row of metadataRows(doc)) meta.addRow(row);
  meta.getColumn(1).width = 24;
  meta.getColumn(2).width = 70;
  for (const t of doc.tables) {
    const ws = wb.addWorksheet(sheetName(t.id, used));
    ws.addRow(t.columns).font = { bold: true };
    // A text cell that looks like a formula stays text: exceljs writes strings as strings, never formulas.
    for (const row of t.rows) ws.addRow(row.map((c) => (c === null ? "" : c)));
    t.columns.forEach((_c, i) => (ws.getColumn(i + 1).width = i === 0 ? 40 : 16));
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}
