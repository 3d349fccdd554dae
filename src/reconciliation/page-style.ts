/**
 * The page's stylesheet, served from /reconciliation/style.css. Kept in TypeScript so the build
 * (tsc only, no asset copy step) carries it into dist/ with the code.
 */
export const PAGE_CSS = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1d232a; --muted: #5b6570; --line: #d8dee4; --card: #f6f8fa;
  --accent: #0b62d6; --purchase: #2f8f4e; --refund: #c2410c; --warn-bg: #fff4e5; --warn-fg: #8a4b00; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0f1318; --fg: #e6edf3; --muted: #9aa7b4; --line: #2d353f; --card: #161b22;
    --accent: #58a6ff; --purchase: #4ec27a; --refund: #f0883e; --warn-bg: #2b2111; --warn-fg: #f5c26b; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 20px 64px; }
header { display: flex; align-items: baseline; justify-content: space-between; gap: 16px; flex-wrap: wrap; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 32px 0 8px; } h3 { font-size: 16px; margin: 20px 0 6px; }
a { color: var(--accent); }
.muted { color: var(--muted); }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; background: var(--card); padding: 1px 4px; border-radius: 4px; }
form.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; margin: 16px 0; padding: 12px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
form.filters label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); gap: 2px; }
input, select, button { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .value { font-size: 20px; font-weight: 600; } .card .label { font-size: 12px; color: var(--muted); }
.chips { display: flex; flex-wrap: wrap; gap: 6px; padding: 0; list-style: none; }
.chips a, .chips span { display: inline-block; padding: 2px 10px; border-radius: 999px; border: 1px solid var(--line); text-decoration: none; font-size: 13px; }
.chips .has { background: var(--warn-bg); color: var(--warn-fg); border-color: var(--warn-fg); }
ul.anomalies { list-style: none; padding: 0; margin: 0; }
ul.anomalies li { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; margin: 6px 0; }
ul.anomalies .meta { font-size: 13px; color: var(--muted); display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: right; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th:first-child, td:first-child { text-align: left; white-space: normal; }
/* A product id stays on one line (it has no break points, and breaking it anywhere printed one
   character per line on a phone); the table scrolls sideways instead, the product column stays in view. */
td:first-child code { white-space: nowrap; }
.table-wrap { overflow-x: auto; max-width: 100%; }
.table-wrap th:first-child, .table-wrap td:first-child { position: sticky; left: 0; background: var(--bg); z-index: 1; }
@media (max-width: 640px) {
  main { padding: 16px 12px 48px; }
  table { font-size: 13px; }
  th, td { padding: 5px 6px; }
}
.legend { display: flex; gap: 16px; font-size: 13px; color: var(--muted); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
.swatch.p { background: var(--purchase); } .swatch.r { background: var(--refund); }
.chart { width: 100%; height: auto; display: block; }
.chart .bar-p { fill: var(--purchase); } .chart .bar-r { fill: var(--refund); }
.chart .axis { stroke: var(--line); } .chart .axis-label { fill: var(--muted); font-size: 11px; } .chart .end { text-anchor: end; }
.product-chart { margin: 10px 0 18px; } .product-chart h3 { margin: 0 0 2px; font-size: 14px; }
ul.anomalies li.acknowledged { opacity: 0.75; }
.ack-note { font-size: 13px; color: var(--muted); margin-top: 4px; }
form.ack { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-top: 6px; }
form.ack input { flex: 1 1 240px; min-width: 0; }
/* Anomaly ids and explanations carry long unbroken tokens (hashes, paths): they wrap on a phone. */
ul.anomalies li { overflow-wrap: anywhere; } form.ack output { font-size: 13px; color: var(--warn-fg); }
.notice { background: var(--warn-bg); color: var(--warn-fg); border-radius: 8px; padding: 10px 12px; }
`;
