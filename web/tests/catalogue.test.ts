import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogue, flatten, ROOT } from './helpers';
import { hardCodedStrings, read, sourceFiles, uiKeysIn } from './ui-strings';

const SRC = path.join(ROOT, 'web', 'src');
const english = flatten(catalogue('en'));

describe('every UI string comes from the catalogue', () => {
  it('has no hard-coded words in any .svelte file', () => {
    const offenders = sourceFiles(SRC, ['.svelte']).flatMap((file) =>
      hardCodedStrings(read(file)).map((f) => `${path.relative(SRC, file)}:${f.line}: ${JSON.stringify(f.text)}`),
    );
    expect(offenders).toEqual([]);
  });

  it('uses no ui. key that locales/en.json lacks', () => {
    const files = sourceFiles(SRC, ['.svelte', '.ts']);
    const used = new Set(files.flatMap((file) => uiKeysIn(read(file))));
    expect(used.size).toBeGreaterThan(50);
    expect([...used].filter((key) => !(key in english)).sort()).toEqual([]);
  });
});

describe('the checks themselves', () => {
  it('catch literal text and visible attributes, and let translated ones pass', () => {
    const source = `<script>let n = 'Not markup';</script>
<h1>{$_('ui.x.y')}</h1>
<p>Hello there</p>
<input placeholder="Your name" name="username" />
<button aria-label={$_('ui.a.b')} title="Close">–</button>
<span>{count} · 12</span>
<style>p { content: 'x'; }</style>`;
    expect(hardCodedStrings(source)).toEqual([
      { line: 3, text: 'Hello there' },
      { line: 4, text: 'Your name' },
      { line: 5, text: 'Close' },
    ]);
  });

  it('find keys in code', () => {
    expect(uiKeysIn(`$_('ui.nav.history'); x("ui.a.b_c"); t(\`ui.c.d\`); 'ui.'`)).toEqual([
      'ui.nav.history',
      'ui.a.b_c',
      'ui.c.d',
    ]);
  });
});
