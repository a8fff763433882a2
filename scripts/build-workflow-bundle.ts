// `tsx scripts/build-workflow-bundle.ts [out]`: the workflow code bundled ahead of time (the Docker image does this
// at build time), so a worker starts without bundling; it finds the file through INTERLOCK_WORKFLOW_BUNDLE.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflows } from '../worker';

const out = path.resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
mkdirSync(path.dirname(out), { recursive: true });
const { code } = await bundleWorkflows();
writeFileSync(out, code);
process.stdout.write(`workflow bundle: ${out} (${Math.round(code.length / 1024)} KiB); run workers with INTERLOCK_WORKFLOW_BUNDLE=${out}\n`);
