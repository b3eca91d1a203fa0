// Markdown pieces the report modules share (lib/report.mjs and its
// scenario sections, lib/report-scale.mjs and lib/report-deflate.mjs).

/** A table cell's text, with the column separator escaped. */
export const mdEsc = (s) => String(s).replace(/\|/g, '\\|');

/** A table of `cells` under `headers`; the columns listed in `numeric` are right-aligned. */
export function mdCellTable(md, headers, cells, numeric) {
  md.push(`| ${headers.join(' | ')} |`);
  md.push(`| ${headers.map((_, i) => (numeric.includes(i) ? '---:' : '---')).join(' | ')} |`);
  for (const r of cells) md.push(`| ${r.map(mdEsc).join(' | ')} |`);
  md.push('');
}
