import { ensureTestServer, findTemporalCli } from '../devserver';

/** `npm run tools:temporal`: makes sure a Temporal CLI and the time-skipping test server are available (installing project-local copies if needed). */
const binary = findTemporalCli({ explicit: process.env.TEMPORAL_CLI_PATH });
process.stdout.write(`temporal CLI: ${binary}\n`);
process.stdout.write(`temporal test server (time-skipping): ${ensureTestServer()}\n`);
