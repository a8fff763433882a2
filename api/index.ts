export { buildApi, type ApiOptions } from './app';
export { ActionService } from './actions/service';
export { ApiError, ErrorCode } from './errors';
export { findUnstorable } from './input-guard';
