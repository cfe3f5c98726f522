/**
 * A self-contained HTML report: the SVGs are inlined and the style is in the
 * page, so it opens from disk with no server and no network.
 */
export interface HtmlSection {
  heading: string;
  /** Inline SVG markup. */
  svg?: string;
  /** A table: header row then body rows. */
  table?: { headers: string[]; rows: (string | number)[][] };
  text?: string;
}

function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

function cell(v: string | number): string {
  if (typeof v === "number") {
    const s = Number.isInteger(v) ? String(v) : Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(4);
    return `<td class="n">${s}</td>`;
  }
  return `<td>${escapeHtml(v)}</td>`;
}

export function htmlPage(title: string, intro: string, sections: HtmlSection[]): string {
  const body = sections
    .map((s) => {
      const parts = [`<h2>${escapeHtml(s.heading)}</h2>`];
      if (s.text) parts.push(`<p>${escapeHtml(s.text)}</p>`);
      if (s.svg) parts.push(`<figure>${s.svg.replace(/^<\?xml[^>]*>/, "")}</figure>`);
      if (s.table) {
        const head = s.table.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
        const rows = s.table.rows.map((r) => `<tr>${r.map(cell).join("")}</tr>`).join("\n");
        parts.push(`<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`);
      }
      return `<section>${parts.join("\n")}</section>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1000px; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; } th { background: #f4f4f4; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 0; } .ok { color: #2a7d2a; } .bad { color: #b22; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(intro)}</p>
${body}
</body>
</html>
`;
}
