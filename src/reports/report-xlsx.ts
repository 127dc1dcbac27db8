// XLSX rendering with exceljs: a "Report" sheet with the metadata, then one sheet per table (header row
// bold, numbers as numbers). Workbook and zip entry dates come from the report's generatedAt, never the
// wall clock, so one report renders to the same bytes.
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
  return stampZipEntries(Buffer.from(await wb.xlsx.writeBuffer()), at);
}

/**
 * exceljs's zip writer dates every entry with the wall clock; this sets each local and central header's
 * DOS time and date to `at` (read as UTC), in place, so one report renders to the same bytes. Only header
 * fields change: the CRCs cover the entries' data, which is untouched.
 */
export function stampZipEntries(zip: Buffer, at: Date): Buffer {
  const time = (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | Math.floor(at.getUTCSeconds() / 2);
  const date = ((at.getUTCFullYear() - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate();
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new TypeError("not a zip file: no end of central directory");
  const entries = zip.readUInt16LE(eocd + 10);
  let pos = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < entries; n++) {
    if (zip.readUInt32LE(pos) !== 0x02014b50) throw new TypeError("not a zip file: bad central directory");
    zip.writeUInt16LE(time, pos + 12);
    zip.writeUInt16LE(date, pos + 14);
    const local = zip.readUInt32LE(pos + 42);
    if (zip.readUInt32LE(local) !== 0x04034b50) throw new TypeError("not a zip file: bad local header");
    zip.writeUInt16LE(time, local + 10);
    zip.writeUInt16LE(date, local + 12);
    pos += 46 + zip.readUInt16LE(pos + 28) + zip.readUInt16LE(pos + 30) + zip.readUInt16LE(pos + 32);
  }
  return zip;
}
