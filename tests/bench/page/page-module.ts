/**
 * A TypeScript module made loadable by a blank page: transpiled (types dropped, no
 * bundling, so the module must import nothing at run time), then imported there from
 * a blob URL. For page code the benchmark hands to pages it serves by interception.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import ts from 'typescript';

/** The module at `file` as ES2022 JavaScript. */
export async function pageModuleSource(file: string): Promise<string> {
  const source = await readFile(file, 'utf8');
  return ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
}

/** Imports the module at `file` into `page` as `window[name]`. */
export async function loadPageModule(page: Page, file: string, name: string): Promise<void> {
  const source = await pageModuleSource(file);
  await page.evaluate(
    async ([source, name]) => {
      const module: unknown = await import(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
      Object.assign(window, { [name]: module });
    },
    [source, name] as const,
  );
}
