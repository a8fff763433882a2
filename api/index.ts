export { buildApi, type ApiOptions } from './app';
export { ActionService, isSettled } from './actions/service';
export { ApiError, ErrorCode } from './errors';
