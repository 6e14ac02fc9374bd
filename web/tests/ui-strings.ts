/**
 * Static checks behind "every UI string is in the catalogue": literal words in .svelte
 * markup (text and user-visible attributes) and `ui.` keys that en.json lacks.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'svelte/compiler';

/** Attributes a user reads or hears. */
const VISIBLE_ATTRIBUTES = new Set([
  'placeholder',
  'title',
  'alt',
  'label',
  'aria-label',
  'aria-description',
  'aria-placeholder',
  'aria-roledescription',
  'aria-valuetext',
]);
const LETTER = /\p{L}/u;

export interface Finding {
  line: number;
  text: string;
}

function lineOf(source: string, offset: number): number {
  return source.slice(0, offset).split('\n').length;
}

export function hardCodedStrings(source: string): Finding[] {
  const ast = parse(source, { modern: true }) as unknown as { fragment: unknown };
  const findings: Finding[] = [];
  const visit = (node: unknown, inAttribute: string | null): void => {
    if (Array.isArray(node)) {
      node.forEach((child) => visit(child, inAttribute));
      return;
    }
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.type === 'Text') {
      const text = String(n.data ?? '');
      const checked = inAttribute === null || VISIBLE_ATTRIBUTES.has(inAttribute);
      if (checked && LETTER.test(text)) findings.push({ line: lineOf(source, Number(n.start)), text: text.trim() });
      return;
    }
    if (n.type === 'Attribute') {
      visit(n.value, String(n.name).toLowerCase());
      return;
    }
    for (const [key, value] of Object.entries(n)) {
      // JavaScript (expressions, scripts) and CSS are not markup text.
      if (['expression', 'instance', 'module', 'css', 'metadata', 'context', 'key', 'index'].includes(key)) continue;
      visit(value, inAttribute);
    }
  };
  visit(ast.fragment, null);
  return findings;
}

const KEY_LITERAL = /['"`](ui\.[a-z0-9_]+(?:\.[a-z0-9_]+)+)['"`]/g;

export function uiKeysIn(source: string): string[] {
  return [...source.matchAll(KEY_LITERAL)].map((m) => m[1]);
}

export function sourceFiles(dir: string, extensions: string[]): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full, extensions);
    return extensions.some((ext) => name.endsWith(ext)) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

export function read(file: string): string {
  return readFileSync(file, 'utf8');
}
