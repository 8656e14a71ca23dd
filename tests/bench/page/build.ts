/** Bundles contenders.ts (and PeerJS) into one classic script for page.addScriptTag. */
import { fileURLToPath } from 'node:url';
import { build, type Rollup } from 'vite';

const ENTRY = fileURLToPath(new URL('./contenders.ts', import.meta.url));
/** The global the bundle assigns its exports to. */
const GLOBAL_NAME = 'contenders';

declare global {
  /** contenders.ts in a page that ran the script below, as the bundle exposes it. */
  const contenders: typeof import('./contenders.ts');
}

export async function contendersScript(): Promise<string> {
  const output = (await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      write: false,
      minify: false,
      target: 'es2022',
      lib: { entry: ENTRY, formats: ['iife'], name: GLOBAL_NAME },
    },
  })) as Rollup.RollupOutput[];
  const chunk = output[0]!.output.find((file): file is Rollup.OutputChunk => file.type === 'chunk');
  if (!chunk) throw new Error('bundling the contenders produced no script');
  return chunk.code;
}
