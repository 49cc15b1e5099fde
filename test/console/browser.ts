/**
 * What the console's browser tests share: the console built from its sources (typed operations generated from
 * schema.graphql, then Vite), Debian's Chromium driven by playwright-core, axe-core's accessibility check and
 * screenshots kept under test-artifacts/console (git-ignored).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';

const root = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
export const screenshotDir = join(root, 'test-artifacts', 'console');

/** Generates the typed operations and builds the console into `outDir`, as `npm run build:console` does. */
export async function buildConsole(outDir: string): Promise<void> {
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules', '@graphql-codegen', 'cli', 'cjs', 'bin.js'),
      '--config',
      'console/codegen.ts',
      '--silent',
    ],
    { cwd: root, stdio: 'pipe' },
  );
  await build({
    configFile: join(root, 'console', 'vite.config.ts'),
    build: { outDir, emptyOutDir: true },
    logLevel: 'error',
  });
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

export interface Violation {
  readonly id: string;
  readonly impact: string;
  readonly help: string;
  readonly nodes: number;
}

/** axe-core's serious and critical violations on the page as it stands. */
export async function seriousViolations(page: Page): Promise<Violation[]> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  return page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run(): Promise<{ violations: { id: string; impact: string; help: string; nodes: unknown[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
}
