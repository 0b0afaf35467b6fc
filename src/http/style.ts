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
main { max-width: 40rem; margin: 0 auto; padding: 1rem; }
main:focus { outline: none; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
a { color: var(--accent); }
form.stacked { display: grid; gap: 1rem; }
form.inline { display: inline; margin: 0; }
label { display: grid; gap: .25rem; font-weight: 600; }
input[type=text], input[type=password], input[type=email] {
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
`;
