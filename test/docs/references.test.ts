import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * README.md and docs/ are read in a user's clone: everything they cite must be in the repository. No design
 * documents kept elsewhere, no issue tracker threads, no link to a file or heading that is not there.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const manuals = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Prose only, lines kept in place: fenced code blocks can hold any text (an audit reason, a URL pattern). */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, (block) => block.replace(/[^\n]/g, ''));
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*$/gm)) {
    const base = heading!
      .replace(/`/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  return out;
}

const OUTSIDE_REFERENCES: readonly [RegExp, string][] = [
  [/\.\.\/shared\b|\/work\//, 'a path outside the repository'],
  [/\bthe issue(?:'s)?\b/i, '"the issue" (a reader has no issue tracker thread)'],
  [/\bissues?\s*#?\d+/i, 'an issue number'],
  [/(?<![\w/])#\d{1,5}\b(?!\s*(?:\d|[a-z]))/, 'an issue number (#N)'],
];

describe('README.md and docs/ cite only what is in the repository', () => {
  it.each(manuals)('%s names no outside document, issue or path', (file) => {
    const text = prose(readFileSync(join(root, file), 'utf8'));
    const found: string[] = [];
    text.split('\n').forEach((line, i) => {
      for (const [pattern, what] of OUTSIDE_REFERENCES) {
        if (pattern.test(line)) found.push(`${file}:${i + 1}: ${what}: ${line.trim()}`);
      }
      for (const [name] of line.matchAll(/(?<![\w/.-])[\w-]+(?:\/[\w.-]+)*\.md\b/g)) {
        const candidates = [resolve(root, dirname(file), name), resolve(root, name)];
        if (!candidates.some((path) => existsSync(path)))
          found.push(`${file}:${i + 1}: ${name} is not in the repository`);
      }
    });
    expect(found, found.join('\n')).toEqual([]);
  });

  it.each(manuals)('%s links only to files and headings that exist', (file) => {
    const text = prose(readFileSync(join(root, file), 'utf8'));
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue;
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const linked = path === '' ? join(root, file) : resolve(root, dirname(file), path);
      if (!existsSync(linked)) {
        broken.push(`${target}: ${relative(root, linked)} does not exist`);
        continue;
      }
      if (anchor && linked.endsWith('.md') && !anchors(readFileSync(linked, 'utf8')).has(anchor)) {
        broken.push(`${target}: no heading with that anchor in ${relative(root, linked)}`);
      }
    }
    expect(broken, broken.join('\n')).toEqual([]);
  });
});
