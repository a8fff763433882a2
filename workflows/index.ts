export { actionWorkflow } from './action-workflow';
