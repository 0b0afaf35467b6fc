// The template helper of the web pages: every interpolated value is escaped
// unless it is markup the helper made, so calendar text from strangers cannot
// become markup.

import { describe, expect, it } from 'vitest';
import { escapeHtml, html, page } from '../../src/http/html.js';

describe('html', () => {
  it('escapes every interpolated value, in text and in quoted attributes', () => {
    const summary = `<img src=x onerror="alert('1')"> & \`tick\``;
    const out = html`<p title="${summary}">${summary}</p>`.text;
    expect(out).toBe(
      '<p title="&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt; &amp; &#96;tick&#96;">&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt; &amp; &#96;tick&#96;</p>',
    );
  });

  it('keeps markup made by html, renders lists item by item, and leaves out null, undefined and false', () => {
    const items = ['a<b', 'c'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.text).toBe('<ul><li>a&lt;b</li><li>c</li></ul>0');
    // A string that looks like markup is still text.
    expect(html`${'<li>x</li>'}`.text).toBe('&lt;li&gt;x&lt;/li&gt;');
    // An object that only pretends to be Html is text too.
    expect(html`${{ text: '<b>', toString: () => '<b>' }}`.text).toBe('&lt;b&gt;');
  });

  it('escapes the title and the signed-in address of a page', () => {
    const out = page({ title: 'A <b>title</b>', user: 'mailto:x"<y>@example.com', csrf: 'tok"en', body: html`<p>body</p>` }).text;
    expect(out).toContain('<title>A &lt;b&gt;title&lt;/b&gt; - itip-agent</title>');
    expect(out).toContain('x&quot;&lt;y&gt;@example.com');
    expect(out).toContain('value="tok&quot;en"');
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
  });
});
