#!/usr/bin/env node
// The `ferry` command. The terminal client is TypeScript, run as it is: tsx compiles
// each file as it loads, with the client's own tsconfig rather than whatever
// tsconfig.json is in the folder ferry runs in.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import('../main.ts');
process.exitCode = await main(process.argv.slice(2), process.env);
