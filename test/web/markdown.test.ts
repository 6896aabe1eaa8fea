import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMarkdown } from '../../web/src/markdown.ts';

test('markdown: raw HTML from the model is escaped, never injected', () => {
  const out = renderMarkdown('<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) "q"');
  assert.ok(!/<script|<img|href="javascript/i.test(out), out);
  assert.match(out, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(out, /\[x\]\(javascript:alert\(1\)\)/); // left as text
  assert.equal(renderMarkdown('[a](https://x.org/?q="><b>)'), '<p><a href="https://x.org/?q=&quot;&gt;&lt;b&gt;" target="_blank" rel="noopener noreferrer">a</a></p>');
});

test('markdown: the constructs the chat needs', () => {
  assert.equal(renderMarkdown('**5** and *x* and `a<b`'), '<p><strong>5</strong> and <em>x</em> and <code>a&lt;b</code></p>');
  assert.equal(renderMarkdown('```ts\nlet a = 1 < 2;\n```'), '<pre><code data-lang="ts">let a = 1 &lt; 2;</code></pre>');
  assert.equal(renderMarkdown('# T\n- a\n- b\n\n1. c'), '<h3>T</h3><ul><li>a</li><li>b</li></ul><ol><li>c</li></ol>');
  assert.equal(renderMarkdown('see [1].'), '<p>see <sup class="cite" data-cite="1">[1]</sup>.</p>');
  assert.equal(renderMarkdown('line one\nline two'), '<p>line one<br>line two</p>');
});
