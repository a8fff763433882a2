// The REST API: Fastify route groups, their schemas, and the one table mapping the core's error codes to statuses.
export { buildApi, type ApiOptions, type ApiServices } from './app';
export { ApiError, ErrorCode, HTTP_STATUS } from './errors';
export { findUnstorable } from './input-guard';
