// PDF rendering with pdfkit: the standard Helvetica fonts (built into every PDF reader, nothing embedded
// or downloaded), bar charts drawn with vector primitives, tables as text rows. The document's dates are
// the report's generatedAt, so the same report renders to the same bytes.
import PDFDocument from "pdfkit";
import { metadataRows, type ReportChart, type ReportDocument, type ReportTable } from "./report-document";

const MARGIN = 50;
const WIDTH = 595.28 - 2 * MARGIN; // A4
const BOTTOM = 841.89 - MARGIN;
const COLOURS = ["#1f4e79", "#c55a11", "#548235"];

function ensureRoom(pdf: PDFKit.PDFDocument, height: number): void {
  if (pdf.y + height > BOTTOM) pdf.addPage();
}

function drawChart(pdf: PDFKit.PDFDocument, chart: ReportChart): void {
  const height = 150;
  ensureRoom(pdf, height + 70);
  pdf.font("Helvetica-Bold").fontSize(11).fillColor("black").text(chart.title, MARGIN, pdf.y);
  const top = pdf.y + 14;
  const left = MARGIN + 30;
  const plotW = WIDTH - 30;
  const max = Math.max(1, ...chart.series.flatMap((s) => s.values));
  const slot = chart.labels.length > 0 ? plotW / chart.labels.length : plotW;
  const barW = Math.max(1, (slot * 0.7) / Math.max(1, chart.series.length));
  // Axes and a scale of 0, max/2, max.
  pdf.lineWidth(0.5).strokeColor("#666666").moveTo(left, top).lineTo(left, top + height).lineTo(left + plotW, top + height).stroke();
  pdf.font("Helvetica").fontSize(7).fillColor("#333333");
  for (const v of [0, max / 2, max]) {
    const y = top + height - (v / max) * height;
    pdf.text(Number.isInteger(v) ? String(v) : v.toFixed(1), MARGIN, y - 3, { width: 26, align: "right", lineBreak: false });
  }
  const labelEvery = Math.max(1, Math.ceil(chart.labels.length / 12));
  chart.labels.forEach((label, i) => {
    chart.series.forEach((s, j) => {
      const v = s.values[i] ?? 0;
      const h = (v / max) * height;
      const x = left + i * slot + slot * 0.15 + j * barW;
      if (h > 0) pdf.rect(x, top + height - h, barW, h).fill(COLOURS[j % COLOURS.length]);
      pdf.fillColor("#333333").fontSize(6).text(String(v), x - 4, top + height - h - 8, { width: barW + 8, align: "center", lineBreak: false });
    });
    if (i % labelEvery === 0) pdf.fontSize(6).fillColor("#333333").text(label, left + i * slot, top + height + 3, { width: slot * labelEvery, align: "left", lineBreak: false });
  });
  // Legend.
  let lx = left;
  chart.series.forEach((s, j) => {
    pdf.rect(lx, top + height + 14, 8, 8).fill(COLOURS[j % COLOURS.length]);
    pdf.fillColor("black").fontSize(8).text(s.name, lx + 11, top + height + 14, { lineBreak: false });
    lx += 80;
  });
  pdf.x = MARGIN;
  pdf.y = top + height + 34;
}

function drawTable(pdf: PDFKit.PDFDocument, t: ReportTable): void {
  ensureRoom(pdf, 40);
  pdf.font("Helvetica-Bold").fontSize(11).fillColor("black").text(t.title, MARGIN, pdf.y);
  pdf.moveDown(0.3);
  const first = t.columns.length > 1 ? Math.min(WIDTH * 0.45, 220) : WIDTH;
  const rest = t.columns.length > 1 ? (WIDTH - first) / (t.columns.length - 1) : 0;
  const widths = t.columns.map((_c, i) => (i === 0 ? first : rest));
  const row = (cells: string[], bold: boolean) => {
    ensureRoom(pdf, 12);
    const y = pdf.y;
    let x = MARGIN;
    pdf.font(bold ? "Helvetica-Bold" : "Helvetica").fontSize(8).fillColor("black");
    cells.forEach((c, i) => {
      pdf.text(c, x + 2, y, { width: widths[i] - 4, height: 10, ellipsis: true, lineBreak: false, align: i === 0 ? "left" : "right" });
      x += widths[i];
    });
    pdf.x = MARGIN;
    pdf.y = y + 11;
  };
  row(t.columns, true);
  if (t.rows.length === 0) row(["(none)"], false);
  for (const r of t.rows) row(r.map((c) => (c === null ? "" : String(c))), false);
  pdf.moveDown(0.8);
}

export function renderPdf(doc: ReportDocument): Promise<Buffer> {
  const at = new Date(doc.provenance.generatedAt);
  const pdf = new PDFDocument({
    size: "A4",
    margin: MARGIN,
    compress: true,
    info: { Title: doc.title, Author: doc.provenance.generator, Creator: doc.provenance.generator, Producer: doc.provenance.generator, CreationDate: at, ModDate: at },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on("data", (c: Buffer) => chunks.push(c));
    pdf.on("end", () => resolve(Buffer.concat(chunks)));
    pdf.on("error", reject);
  });
  pdf.font("Helvetica-Bold").fontSize(18).text(doc.title);
  pdf.moveDown(0.3);
  pdf.font("Helvetica").fontSize(8).fillColor("#333333");
  for (const [k, v] of metadataRows(doc)) pdf.text(`${k}: ${v}`);
  pdf.moveDown(1);
  for (const c of doc.charts) drawChart(pdf, c);
  for (const t of doc.tables) drawTable(pdf, t);
  pdf.end();
  return done;
}
