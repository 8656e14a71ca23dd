/**
 * Which file imports which, read from the sources as text: `import … from './x.ts'`,
 * `export … from './x.ts'`, `import('./x.ts')` and `new URL('./x.ts', import.meta.url)`
 * (how a worker is started; a folder's URL is no import), relative paths only —
 * packages are not the map's concern.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Each file (relative to the root) and the files it imports, or the specifiers that lead nowhere. */
export interface ImportGraph {
  imports: Map<string, string[]>;
  unresolved: { file: string; specifier: string }[];
}

const SOURCE = /\.(ts|svelte|js)$/;
const IMPORT =
  /(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|new URL\(\s*['"](\.{1,2}\/[^'"]+\.\w+)['"],\s*import\.meta\.url\s*\)/g;

/** The source files under `folders` (relative to `root`), without node_modules and declaration files. */
export function sourceFiles(root: string, folders: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(path);
      } else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) found.push(path);
    }
  };
  folders.forEach(walk);
  return found.sort();
}

export function importGraph(root: string, files: readonly string[]): ImportGraph {
  const imports = new Map<string, string[]>();
  const unresolved: ImportGraph['unresolved'] = [];
  for (const file of files) {
    const targets = new Set<string>();
    for (const match of readFileSync(join(root, file), 'utf8').matchAll(IMPORT)) {
      const specifier = (match[1] ?? match[2] ?? match[3])!;
      const target = resolveImport(root, file, specifier);
      if (target) targets.add(target);
      else unresolved.push({ file, specifier });
    }
    imports.set(file, [...targets].sort());
  }
  return { imports, unresolved };
}

/** The file a relative specifier names, the way Vite and tsx find it; null when none. */
function resolveImport(root: string, file: string, specifier: string): string | null {
  const bare = resolve(root, dirname(file), specifier.replace(/\?.*$/, ''));
  for (const candidate of [bare, `${bare}.ts`, `${bare}.svelte`, join(bare, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(root, candidate);
  }
  return null;
}

/**
 * The groups of files that import one another round a circle (strongly connected
 * components of more than one file, or a file that imports itself), each as the
 * circle's path: "a.ts → b.ts → a.ts".
 */
export function importCycles(imports: ReadonlyMap<string, readonly string[]>): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[] = [];
  const visit = (file: string) => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const target of imports.get(file) ?? []) {
      if (!imports.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const group = new Set<string>();
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.add(member);
    } while (member !== file);
    if (group.size > 1 || imports.get(file)?.includes(file)) cycles.push(circle(file, group, imports));
  };
  for (const file of imports.keys()) if (!index.has(file)) visit(file);
  return cycles;
}

/** One way round `group` from `start` and back, by breadth-first search inside the group. */
function circle(start: string, group: ReadonlySet<string>, imports: ReadonlyMap<string, readonly string[]>): string {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let at = 0; at < queue.length; at++) {
    const file = queue[at]!;
    for (const target of imports.get(file) ?? []) {
      if (!group.has(target)) continue;
      if (target === start) {
        const steps: string[] = [];
        for (let step: string | undefined = file; step !== undefined && step !== start; step = cameFrom.get(step)) steps.unshift(step);
        return [start, ...steps, start].join(' → ');
      }
      if (!cameFrom.has(target)) {
        cameFrom.set(target, file);
        queue.push(target);
      }
    }
  }
  return [...group].join(' ↔ ');
}
