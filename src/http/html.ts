// HTML for the web pages. Calendar text is written by strangers (a SUMMARY, a
// CN, a COMMENT come in by mail), so every interpolated value is escaped unless
// it is itself markup made by this helper: `html` is the only way to make an
// `Html`, and there is no "raw" escape hatch. Attribute values in templates are
// always quoted ("..."), so escaping quotes makes a value unable to leave its
// attribute. No inline script or style is ever written (the Content-Security-
// Policy forbids them): styling comes from /static/style.css.

/** Markup made by `html`: inserted as it is where it is interpolated into another template. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** The text with every character that means something in HTML written as a reference. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

/**
 * A value as it goes into markup: Html as it is, a list item by item, nothing
 * for null, undefined and false, anything else as escaped text.
 */
function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** A template whose interpolated values are escaped (see render). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

export interface PageOptions {
  title: string;
  /** The signed-in calendar user, shown with a sign-out form. */
  user?: string;
  /** The session's CSRF token, for the sign-out form. */
  csrf?: string;
  /** Whether signing out here ends the sign-in (not so behind a proxy that signs people in). */
  canSignOut?: boolean;
  /** The links to the pages of a signed-in person (navigation.ts). */
  nav?: Html;
  body: Html;
}

/** A whole page: the document, the header with the sign-in state, the main content. */
export function page(options: PageOptions): Html {
  const account = options.user
    ? html`<div class="account">
        <span>Signed in as <strong class="address">${options.user.replace(/^mailto:/, '')}</strong></span>
        ${options.canSignOut === false
          ? html`<span class="muted">(signed in by the web server in front of this site; sign out there)</span>`
          : options.csrf
            ? html`<form method="post" action="/logout" class="inline">
              <input type="hidden" name="_csrf" value="${options.csrf}">
              <button type="submit">Sign out</button>
            </form>`
            : ''}
      </div>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} - itip-agent</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<a class="skip" href="#main">Skip to the content</a>
<header>
  <a class="home" href="/">itip-agent</a>
  ${account}
  ${options.nav ?? ''}
</header>
<main id="main" tabindex="-1">
<h1>${options.title}</h1>
${options.body}
</main>
</body>
</html>
`;
}

/** A notice box: what happened (role=alert for errors, so a screen reader says it at once). */
export function notice(kind: 'error' | 'info', text: Html | string): Html {
  return kind === 'error' ? html`<p class="notice error" role="alert">${text}</p>` : html`<p class="notice info" role="status">${text}</p>`;
}
