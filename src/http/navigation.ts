// The navigation of a signed-in person's pages: one list of links in the
// header, the current page marked for screen readers (aria-current) and by
// style. The pages themselves are registered in server.ts (PAGES).

import { html, type Html } from './html.js';

export const NAV_LINKS: ReadonlyArray<{ path: string; label: string; also?: RegExp }> = [
  { path: '/', label: 'Requests' },
  { path: '/calendar', label: 'Calendar', also: /^\/event\// },
  { path: '/free-busy', label: 'Free/busy' },
  { path: '/preferences', label: 'Preferences' },
  { path: '/bookings', label: 'Resources' },
];

/** The navigation with the link of `path` (the request's path, without the query) marked as current. */
export function navigation(path: string): Html {
  const items = NAV_LINKS.map((link) => {
    const current = link.path === path || (link.path !== '/' && path.startsWith(`${link.path}/`)) || !!link.also?.test(path);
    return html`<li><a href="${link.path}"${current ? html` aria-current="page"` : ''}>${link.label}</a></li>`;
  });
  return html`<nav aria-label="Pages"><ul class="nav">${items}</ul></nav>`;
}
