/** The console's only stylesheet, served as `/console.css` (the CSP allows no inline style). */
export const CONSOLE_CSS = `
:root { --ink: #1c2330; --muted: #5a6473; --line: #d9dee6; --bg: #f5f7fa; --card: #fff;
  --accent: #1f5fbf; --accent-ink: #fff; --ok: #16703a; --ok-bg: #e3f4e9; --bad: #a61b1b; --bad-bg: #fbe7e7;
  --warn: #7a4b00; --warn-bg: #fff2d6; --crit: #8f1239; --crit-bg: #fde8ef; }
* { box-sizing: border-box; }
html { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--bg); }
body { margin: 0; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible {
  outline: 3px solid #f0a500; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--card); padding: .5rem 1rem; }
.skip:focus { left: 1rem; z-index: 10; }
header.top { background: #16202e; color: #fff; }
header.top .bar { max-width: 1160px; margin: 0 auto; padding: .6rem 1.25rem; display: flex; align-items: center; gap: 1.5rem; flex-wrap: wrap; }
header.top .brand { font-weight: 700; letter-spacing: .01em; color: #fff; text-decoration: none; font-size: 1.05rem; }
header.top nav ul { list-style: none; display: flex; gap: .25rem; margin: 0; padding: 0; flex-wrap: wrap; }
header.top nav a { color: #dfe6f0; text-decoration: none; padding: .35rem .7rem; border-radius: 6px; display: inline-block; }
header.top nav a[aria-current="page"] { background: #2b3a50; color: #fff; }
header.top nav a:hover { background: #243246; }
header.top .who { margin-left: auto; display: flex; align-items: center; gap: .75rem; color: #c9d3e0; font-size: .9rem; }
header.top .who form { margin: 0; }
header.top .muted { color: #c3ccd8; }
header.top .who button { background: transparent; border: 1px solid #5b6b82; color: #fff; }
main { max-width: 1160px; margin: 0 auto; padding: 1.25rem; }
h1 { font-size: 1.5rem; margin: .25rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .6rem; }
h3 { font-size: 1rem; margin: 0 0 .4rem; }
.lede { color: var(--muted); margin-top: -.5rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.15rem; margin-bottom: 1rem; box-shadow: 0 1px 2px rgba(20,30,50,.04); }
.card header { display: flex; align-items: baseline; gap: .6rem; flex-wrap: wrap; margin-bottom: .5rem; }
.card header h2, .card header h3 { margin: 0; }
.card header .id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: .25rem 0 .75rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
dl.facts dd > ul { margin: 0; padding-left: 1.1rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; background: #eef1f6; padding: .05rem .3rem; border-radius: 4px; }
.badge { white-space: nowrap; display: inline-block; font-size: .78rem; font-weight: 600; padding: .1rem .5rem; border-radius: 999px; border: 1px solid transparent; text-transform: uppercase; letter-spacing: .03em; }
.tier-standard { background: #eef1f6; color: #3d4756; }
.tier-sensitive { background: var(--warn-bg); color: var(--warn); }
.tier-critical { background: var(--crit-bg); color: var(--crit); }
.st-pending { background: #e6eefb; color: #1d4f9a; }
.st-approved { background: var(--ok-bg); color: var(--ok); }
.st-denied { background: var(--bad-bg); color: var(--bad); }
.st-expired { background: #eceef1; color: #4d5563; }
.quorum { font-weight: 600; }
.lineage { list-style: none; padding: 0; margin: 0; }
.lineage li { padding-left: 1.1rem; position: relative; }
.lineage li:first-child { padding-left: 0; }
.lineage li + li::before { content: "\\2191"; position: absolute; left: 0; color: var(--muted); }
.reach ul { margin: .2rem 0 0; padding-left: 1.2rem; }
.decide { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; margin-top: .75rem; }
.decide form { border: 1px solid var(--line); border-radius: 8px; padding: .75rem; background: #fafbfd; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
.hint { color: var(--muted); font-size: .85rem; font-weight: 400; }
input[type=text], input[type=password], input[type=search], input[type=datetime-local], select, textarea {
  width: 100%; font: inherit; padding: .45rem .55rem; border: 1px solid #b7c0cc; border-radius: 6px; background: #fff; color: var(--ink); }
textarea { min-height: 4.2rem; resize: vertical; }
button { font: inherit; font-weight: 600; padding: .45rem 1rem; border-radius: 6px; border: 1px solid #b7c0cc; background: #fff; color: var(--ink); cursor: pointer; margin-top: .5rem; }
button.approve { background: #17693a; border-color: #17693a; color: #fff; }
button.deny { background: #a61b1b; border-color: #a61b1b; color: #fff; }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-ink); }
.notice { border-radius: 8px; padding: .7rem 1rem; margin-bottom: 1rem; border: 1px solid; }
.notice.ok { background: var(--ok-bg); border-color: #9fd2b1; color: #0f4d27; }
.notice.error { background: var(--bad-bg); border-color: #eab0b0; color: #7d1212; }
.notice.info { background: #e8f0fc; border-color: #b5cbef; color: #173f7a; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; font-size: .92rem; }
th, td { text-align: left; padding: .5rem .7rem; border-bottom: 1px solid #e8ebf0; vertical-align: top; overflow-wrap: anywhere; }
th { white-space: nowrap; background: #f0f3f7; font-weight: 600; color: #3d4756; }
tr:last-child td { border-bottom: 0; }
.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: .75rem; align-items: end; margin-bottom: 1rem; }
.filters button { margin-top: 0; }
.nowrap { white-space: nowrap; }
.ua { font-size: .78rem; display: inline-block; max-width: 16rem; }
.empty { color: var(--muted); font-style: italic; }
.muted { color: var(--muted); }
.ctl { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .75em; background: #fde8c8; color: #6b3d00; border: 1px solid #e9b872; border-radius: 3px; padding: 0 .2rem; margin: 0 .1rem; }
.signin { max-width: 440px; margin: 3rem auto; }
.pager { margin-top: .75rem; }
footer.foot { max-width: 1160px; margin: 1rem auto 2rem; padding: 0 1.25rem; color: var(--muted); font-size: .85rem; }
@media (max-width: 720px) { .decide { grid-template-columns: 1fr; } dl.facts { grid-template-columns: 1fr; } }
`;
