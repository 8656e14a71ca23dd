/** Bundles contenders.ts (and PeerJS) into one classic script for page.addScriptTag. */
import { fileURLToPath } from 'node:url';
import { build, type Rollup } from 'vite';

const ENTRY = fileURLToPath(new URL('./contenders.ts', import.meta.url));

export async function contendersScript(): Promise<string> {
  const output = (await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      write: false,
      minify: false,
      target: 'es2022',
      lib: { entry: ENTRY, formats: ['iife'], name: 'contenders' },
    },
  })) as Rollup.RollupOutput[];
  const chunk = output[0]!.output.find((file): file is Rollup.OutputChunk => file.type === 'chunk');
  if (!chunk) throw new Error('bundling the contenders produced no script');
  return chunk.code;
}
