// The one style sheet of the web pages, served at /static/style.css. It lives
// in the code rather than in a file beside it so that the bundled command line
// (scripts/bundle.mjs) carries it without an asset step. No web fonts, no
// images: the Content-Security-Policy allows only this file.
//
// Readable on a phone (one column, inputs full width, 16px text so that phones
// do not zoom into fields), usable by keyboard (a visible focus ring, a skip
// link), and it follows the reader's light or dark preference.

export const STYLE_PATH = '/static/style.css';

export const STYLE = `:root {
  color-scheme: light dark;
  --fg: #1b1b1b; --bg: #fdfdfd; --muted: #555; --line: #c8c8c8;
  --accent: #0b57d0; --accent-fg: #fff; --error: #a40e26; --error-bg: #fde7ea; --info-bg: #e8f0fe;
}
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8e8e8; --bg: #161616; --muted: #aaa; --line: #444; --accent: #8ab4f8; --accent-fg: #000; --error: #ffb3bd; --error-bg: #3b1016; --info-bg: #172a46; }
}
* { box-sizing: border-box; }
html { font-size: 100%; }
body {
  margin: 0; color: var(--fg); background: var(--bg);
  font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
header {
  display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between;
  padding: .75rem 1rem; border-bottom: 1px solid var(--line);
}
header .home { font-weight: 600; text-decoration: none; color: var(--fg); }
.account { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.address { overflow-wrap: anywhere; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
main:focus { outline: none; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
a { color: var(--accent); }
form.stacked { display: grid; gap: 1rem; max-width: 40rem; }
form.inline { display: inline; margin: 0; }
label { display: grid; gap: .25rem; font-weight: 600; }
input[type=text], input[type=password], input[type=email], input[type=datetime-local] {
  width: 100%; font: inherit; font-size: 1rem; padding: .6rem .7rem;
  color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: .3rem;
}
button {
  font: inherit; padding: .55rem 1.1rem; min-height: 2.75rem; cursor: pointer;
  color: var(--accent-fg); background: var(--accent); border: 1px solid var(--accent); border-radius: .3rem;
}
header button { min-height: 2.25rem; padding: .3rem .8rem; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.notice { padding: .75rem 1rem; border-radius: .3rem; border-left: .3rem solid; }
.notice.error { color: var(--error); background: var(--error-bg); }
.notice.info { background: var(--info-bg); border-color: var(--accent); }
.muted { color: var(--muted); }
.skip { position: absolute; left: -100vw; }
.skip:focus { left: 1rem; top: 1rem; padding: .5rem; background: var(--bg); }

/* Navigation: one row that wraps; the current page underlined and bold. */
header nav { flex-basis: 100%; }
ul.nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: 0; }
ul.nav a { display: inline-block; padding: .35rem 0; text-decoration: none; }
ul.nav a[aria-current=page] { font-weight: 700; text-decoration: underline; text-underline-offset: .3em; }
h2 { font-size: 1.25rem; margin: 1.5rem 0 .75rem; }
h3 { font-size: 1.05rem; margin: 0 0 .4rem; }
code { font-size: .95em; overflow-wrap: anywhere; }
.count { color: var(--muted); font-weight: 400; }
.acting { padding: .5rem .75rem; border: 1px dashed var(--line); border-radius: .3rem; }

/* Cards: one per request, proposal or preference. */
.cards { display: grid; gap: 1rem; }
.card { border: 1px solid var(--line); border-radius: .4rem; padding: .9rem 1rem; min-width: 0; overflow-wrap: anywhere; }
.card h3 a { text-decoration: none; }
.card p { margin: .35rem 0; }
.when { font-weight: 600; }
ul.changes { margin: .5rem 0; padding-left: 1.25rem; }
.clash { border-left: .3rem solid var(--error); padding: .25rem .75rem; margin: .5rem 0; }
.clash ul { margin: .25rem 0; padding-left: 1.25rem; }
.free { color: var(--muted); }
.quoted { font-style: italic; }

/* Forms beside each other, wrapping on a phone. */
.buttons, .form-row { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: .5rem 0; }
form.answer { display: grid; gap: .5rem; margin-top: .75rem; }
form.inline-form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: .5rem 0; }
form.inline-form label { flex: 1 1 14rem; }
.pref-form { display: grid; gap: .5rem; max-width: 40rem; }
button.secondary { color: var(--accent); background: var(--bg); }
button.danger { color: var(--error); background: var(--bg); border-color: var(--error); }
details { margin: .5rem 0; }
summary { cursor: pointer; padding: .35rem 0; color: var(--accent); }
details[open] > summary { margin-bottom: .5rem; }

/* The facts of an event, attendees, the description as written (text, never markup). */
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: .5rem 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.description { white-space: pre-wrap; overflow-wrap: anywhere; border-left: .2rem solid var(--line); padding: .25rem .75rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; color: var(--muted); padding-bottom: .25rem; }
th, td { text-align: left; vertical-align: top; padding: .4rem .5rem; border-bottom: 1px solid var(--line); }
.status { display: block; }
/* On a phone each attendee is a block of labelled lines (the labels come from data-label). */
@media (max-width: 40rem) {
  table.people thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  table.people caption { display: block; }
  table.people, table.people tbody, table.people tr, table.people td { display: block; }
  table.people tr { border-bottom: 1px solid var(--line); padding: .4rem 0; }
  table.people td { border: 0; padding: .1rem 0; }
  table.people td::before { content: attr(data-label) ": "; font-weight: 600; }
}
.partstat-accepted { font-weight: 600; }
.partstat-declined { color: var(--error); }
.tag { display: inline-block; font-size: .8rem; padding: 0 .4rem; border: 1px solid var(--line); border-radius: 1rem; color: var(--muted); }
.tag.cancelled { color: var(--error); border-color: var(--error); }
del { text-decoration-thickness: 2px; }

/* Calendar: days as a list on a phone, seven columns on a wide screen. */
.pager ul { display: flex; flex-wrap: wrap; gap: .5rem 1rem; list-style: none; padding: 0; margin: .5rem 0; }
.range { margin: .25rem 0 .75rem; }
ol.week, ol.month, ol.busy-days { list-style: none; padding: 0; margin: 0; display: grid; gap: .5rem; }
ul.weekdays { display: none; }
.day { border: 1px solid var(--line); border-radius: .3rem; padding: .5rem; min-width: 0; }
.day.today { border-color: var(--accent); border-width: 2px; }
.day h3 { font-size: .95rem; }
ul.entries { list-style: none; padding: 0; margin: 0; display: grid; gap: .3rem; }
.entry a { text-decoration: none; overflow-wrap: anywhere; }
.time { font-variant-numeric: tabular-nums; color: var(--muted); }
.nothing { margin: 0; font-size: .9rem; }
li.pad { display: none; }
@media (min-width: 60rem) {
  ol.week { grid-template-columns: repeat(7, minmax(0, 1fr)); }
  ol.month, ul.weekdays { grid-template-columns: repeat(7, minmax(0, 1fr)); }
  ul.weekdays { display: grid; list-style: none; padding: 0; margin: 0 0 .25rem; gap: .5rem; color: var(--muted); font-weight: 600; }
  li.pad { display: block; }
  ol.month .day { min-height: 6rem; }
  ol.month .nothing { visibility: hidden; }
}
`;
