// Local tooling for development and tests: the Temporal CLI and dev server, and the pinned fuzzing tool.
export { ensureTestServer, findTemporalCli, installLocalTemporal, LOCAL_TEMPORAL, LOCAL_TEST_SERVER, PROJECT_ROOT, TemporalCliError } from './temporal-cli';
export { startDevServer, type DevServer, type DevServerOptions } from './dev-server';
export { installSchemathesis, FuzzToolsError, SCHEMATHESIS, SCHEMATHESIS_VERSION } from './fuzz-tools';
