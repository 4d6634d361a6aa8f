// The style of gradnet's HTML pages (report.html, search-report.html): one light theme.
#include "html.h"

namespace gradnet::report {

// The page's only styling: a light theme, sections as cards, charts flowing in rows.
const char* page_css() {
  return R"CSS(
:root { --fg: #1d2433; --muted: #5b6474; --line: #e2e5eb; --bg: #f4f5f7; --accent: #1f77b4; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
header { background: #1d2433; color: #fff; padding: 18px 32px 12px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 2px 0 8px; color: #c9cfda; font-size: 13px; }
nav { display: flex; flex-wrap: wrap; gap: 2px 16px; }
nav a { color: #dfe6f3; text-decoration: none; font-size: 13px; white-space: nowrap; }
header code { background: rgba(255, 255, 255, 0.12); color: #e8ecf3; }
nav a:hover { text-decoration: underline; }
main { max-width: 1180px; margin: 0 auto; padding: 8px 24px 40px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 24px 18px; margin: 18px 0; }
h2 { font-size: 18px; margin: 2px 0 12px; }
p { margin: 8px 0; max-width: 980px; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 12.5px; background: #f1f3f6; padding: 1px 4px; border-radius: 3px; }
.muted { color: var(--muted); font-size: 13px; }
.ok { color: #2a8a2a; font-weight: 600; }
.bad { color: #c62828; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 14px 18px; align-items: flex-start; }
svg.chart { background: #fff; border: 1px solid #eef0f3; border-radius: 4px; max-width: 100%; height: auto; }
svg.chart text { font-size: 11px; fill: #3a4150; }
svg.chart .chart-title { font-size: 13px; font-weight: 600; fill: #1d2433; }
svg.chart .axis-label { font-size: 12px; fill: #4a5262; }
svg.chart .grid { stroke: #000; stroke-opacity: 0.08; }
svg.chart .frame { stroke: #8a93a3; }
svg.chart .guide { stroke: #c62828; stroke-width: 1.4; stroke-dasharray: 7 4; }
svg.chart .guide-label { fill: #c62828; font-size: 11px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.callout { border-left: 4px solid var(--accent); background: #f5f8fc; padding: 8px 14px; margin: 12px 0; border-radius: 0 6px 6px 0; max-width: 1000px; }
.callout.warn { border-color: #e08a00; background: #fdf7ec; }
.callout.good { border-color: #2ca02c; background: #f2f9f2; }
.callout ul { margin: 4px 0; padding-left: 20px; }
table { border-collapse: collapse; }
table.kv th { text-align: left; font-weight: 600; padding: 3px 18px 3px 0; vertical-align: top; white-space: nowrap; color: #3a4150; }
table.kv td { padding: 3px 0; }
table.numbers { font-size: 13px; margin: 8px 0; }
table.numbers th, table.numbers td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: right; }
table.numbers th:first-child, table.numbers td:first-child { text-align: left; }
table.metrics td.bar { background: linear-gradient(90deg, #6ea6d6 var(--v), #e6ebf1 var(--v)) no-repeat left bottom / 100% 3px; }
table.metrics tr.avg th, table.metrics tr.avg td { font-weight: 600; border-top: 2px solid #c9ced8; }
table.confusion { font-size: 12.5px; margin: 6px 0; }
table.confusion th, table.confusion td { border: 1px solid #fff; padding: 4px 7px; text-align: right; min-width: 38px; }
table.confusion th { background: #eef0f4; }
table.confusion th.corner { font-weight: 400; font-size: 11px; color: var(--muted); }
table.confusion td.dark { color: #fff; }
table.confusion td.total { background: #f6f7f9; color: var(--muted); }
.scroll { overflow-x: auto; }
details summary { cursor: pointer; color: var(--accent); margin: 8px 0; }
img.weights { image-rendering: pixelated; border: 1px solid var(--line); max-width: 100%; height: auto; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(124px, 1fr)); gap: 12px; }
.gallery.wide { grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); }
.gallery figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; text-align: center; background: #fafbfc; }
.gallery img { image-rendering: pixelated; background: #000; }
.gallery figcaption { font-size: 12px; line-height: 1.45; margin-top: 4px; overflow-wrap: anywhere; }
.gallery code.features { display: block; font-size: 11px; text-align: left; white-space: normal; word-break: break-word; }
pre.config { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; overflow: auto; max-height: 560px; font: 12px/1.45 "DejaVu Sans Mono", monospace; }
footer { text-align: center; color: var(--muted); font-size: 12px; padding: 0 0 24px; }
)CSS";
}

}  // namespace gradnet::report
