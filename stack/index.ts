export { findTemporalCli, installLocalTemporal, LOCAL_TEMPORAL, LOCAL_TEST_SERVER, PROJECT_ROOT, TemporalCliError } from './temporal-cli';
export { startDevServer, type DevServer, type DevServerOptions } from './dev-server';
