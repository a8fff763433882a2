#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so `npx interlock` works from a fresh `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../cli/index.ts');
process.exitCode = await runCli(process.argv.slice(2));
