import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { describeCycles, importCycles, importGraph, typescriptFiles } from '../support/importGraph.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the import graph of src/', () => {
  it('has no cycle between files (type-only imports included)', () => {
    const graph = importGraph(root, typescriptFiles(join(root, 'src')));
    expect(graph.size).toBeGreaterThan(100);
    const cycles = importCycles(graph);
    expect(
      cycles,
      `import cycles found; move what both files need into a third file:\n${describeCycles(graph, cycles)}`,
    ).toEqual([]);
  });
});

describe('the cycle finder', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'import-graph-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('finds a cycle through a type-only import, a re-export and a folder index, and names its files', () => {
    mkdirSync(join(scratch, 'src', 'room'), { recursive: true });
    writeFileSync(
      join(scratch, 'src', 'a.ts'),
      "import type { B } from './room/index.js';\nexport type A = B;\n",
    );
    writeFileSync(join(scratch, 'src', 'room', 'index.ts'), "export { b, type B } from './b.js';\n");
    writeFileSync(
      join(scratch, 'src', 'room', 'b.ts'),
      "import type { A } from '../a.js';\nexport type B = A | 1;\nexport const b = 1;\n",
    );
    writeFileSync(
      join(scratch, 'src', 'c.ts'),
      "import { b } from './room/index.js';\nexport const c = b;\n",
    );
    const graph = importGraph(scratch, typescriptFiles(join(scratch, 'src')));
    expect(importCycles(graph)).toEqual([['src/a.ts', 'src/room/b.ts', 'src/room/index.ts']]);
    expect(describeCycles(graph, importCycles(graph))).toContain('src/room/b.ts -> src/a.ts');
  });
});
