import { escapeHtml, html, Html } from './html';

describe('html templates', () => {
  it('escapes the five markup characters and the backtick', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\`</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;');
  });

  it('escapes every interpolated value, in text and in attributes', () => {
    const name = '<script>alert("x")</script>';
    const out = html`<p title="${name}">${name}</p>`.text;
    expect(out).toBe('<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>');
    expect(out).not.toContain('<script>');
  });

  it('does not escape nested templates twice, and renders arrays, numbers and empty values', () => {
    const inner = html`<b>${'a&b'}</b>`;
    expect(html`<p>${inner}${[html`<i>1</i>`, '<2>']}${3}${undefined}${null}${false}</p>`.text).toBe('<p><b>a&amp;b</b><i>1</i>&lt;2&gt;3</p>');
  });

  it('treats a string that looks like markup as text, only Html as markup', () => {
    expect(html`${'<b>x</b>'}`.text).toBe('&lt;b&gt;x&lt;/b&gt;');
    expect(html`${new Html('<b>x</b>')}`.text).toBe('<b>x</b>');
  });
});
