// The processes Interlock runs as: the API and the worker, each alone (`interlock api`, `interlock worker`) or both in one (`npm start`).
export { Lifecycle } from './lifecycle';
export { openChannels, openProcess, type InterlockProcess } from './process';
export { requireSharedStores } from './requirements';
export { startApiRole, type ApiRole } from './api-role';
export { startWorkerRole, type WorkerRole } from './worker-role';
export { serveMetrics } from './metrics-endpoint';
