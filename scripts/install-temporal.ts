import { findTemporalCli } from '../devserver';

/** `npm run tools:temporal`: makes sure a Temporal CLI is available (installing the project-local copy if needed). */
const binary = findTemporalCli({ explicit: process.env.TEMPORAL_CLI_PATH });
process.stdout.write(`temporal CLI: ${binary}\n`);
