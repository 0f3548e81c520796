/** The page's style sheet: system fonts, visible focus, colours with a text label beside them (never colour alone). */
export const STATUS_PAGE_STYLE = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --panel: #f6f8fa;
  --ok: #1a7f37; --failed: #cf222e; --running: #0969da; --skipped: #818b98; --cancelled: #9a6700; --focus: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--fg); background: var(--bg); }
a { color: #0550ae; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, h1:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
h1:focus { outline: none; }
.top { display: flex; flex-wrap: wrap; gap: 0 1rem; align-items: baseline; padding: .6rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--panel); }
.top p { margin: 0; }
.brand a { font-weight: 700; font-size: 1.1rem; text-decoration: none; color: var(--fg); }
.tagline { color: var(--muted); }
.top nav { display: flex; gap: 1rem; margin-left: auto; }
main { max-width: 1040px; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
h1 { font-size: 1.45rem; margin: .4rem 0 .6rem; }
h2 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; }
form#filters { display: flex; flex-wrap: wrap; gap: .75rem 1rem; align-items: flex-end; padding: .75rem; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; }
.field { display: flex; flex-direction: column; gap: .2rem; }
.field.wide { flex: 1 1 100%; }
label { font-weight: 600; font-size: .9rem; }
.hint { font-weight: 400; color: var(--muted); }
input, select { font: inherit; padding: .35rem .5rem; border: 1px solid #818b98; border-radius: 4px; min-width: 12rem; background: #fff; color: var(--fg); }
.buttons { display: flex; gap: .5rem; flex-wrap: wrap; }
button { font: inherit; font-weight: 600; padding: .4rem .9rem; border-radius: 6px; border: 1px solid #1a7f37; background: #1f883d; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--fg); border-color: #818b98; }
button.danger { background: #fff; color: #a40e26; border-color: #cf222e; }
button:disabled { opacity: .6; cursor: progress; }
button[hidden] { display: none; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { font-size: .85rem; color: var(--muted); font-weight: 600; }
tbody th { font-weight: 600; }
caption { text-align: left; color: var(--muted); font-size: .9rem; padding: .25rem 0; }
.scroll { overflow-x: auto; }
.nowrap { white-space: nowrap; }
.request { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; word-break: break-all; }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 999px; font-size: .8rem; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.badge.o-succeeded { color: var(--ok); } .badge.o-failed { color: var(--failed); } .badge.o-running { color: var(--running); }
.badge.o-cancelled { color: var(--cancelled); } .badge.o-skipped, .badge.o-terminated, .badge.o-unknown { color: var(--muted); }
.title-row { display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; }
.back { margin: 0; }
.summary { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: .75rem 0; }
.summary dt { font-weight: 600; color: var(--muted); }
.summary dd { margin: 0; word-break: break-word; }
.error { border: 1px solid var(--failed); border-left-width: 6px; border-radius: 6px; padding: .25rem 1rem; background: #fff8f8; }
.error h2 { color: #a40e26; margin-top: .5rem; }
.actions { border: 1px solid var(--line); border-radius: 6px; padding: .25rem 1rem .75rem; background: var(--panel); }
.actions .buttons { margin-top: .6rem; }
.problem { color: #a40e26; font-weight: 600; }
meter { width: 8rem; vertical-align: middle; }
.timeline-holder { border: 1px solid var(--line); border-radius: 6px; padding: .25rem; background: #fff; }
svg.timeline { display: block; width: 100%; height: auto; font-family: inherit; }
svg.timeline text { font-size: 11px; fill: var(--fg); }
svg.timeline .tick { fill: var(--muted); }
svg.timeline .grid { stroke: #eaeef2; stroke-width: 1; }
svg.timeline .axis { stroke: #818b98; stroke-width: 1; }
svg.timeline .bar { stroke: none; }
svg.timeline .bar.o-succeeded { fill: var(--ok); }
svg.timeline .bar.o-failed { fill: var(--failed); }
svg.timeline .bar.o-running { fill: var(--running); }
svg.timeline .bar.o-skipped { fill: var(--skipped); }
svg.timeline .bar.o-cancelled { fill: var(--cancelled); }
svg.timeline .pending { fill: none; stroke: var(--running); stroke-width: 1.5; stroke-dasharray: 4 3; }
svg.timeline .marker { stroke: #6e7781; stroke-width: 1; stroke-dasharray: 2 3; }
svg.timeline .marker.m-deadline { stroke: var(--cancelled); }
svg.timeline .marker.m-now { stroke: var(--running); stroke-dasharray: none; }
svg.timeline .marker-label { fill: var(--muted); font-size: 10px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
