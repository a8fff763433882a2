import { installSchemathesis } from '../devserver';

/** `npm run tools:fuzz`: makes sure the pinned Schemathesis is in `.tools/venv` (installing it if needed). */
process.stdout.write(`schemathesis: ${installSchemathesis((l) => process.stdout.write(`${l}\n`))}\n`);
