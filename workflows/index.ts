// The workflow code Temporal runs (deterministic, replayed): actionWorkflow is the story of one action, its state and messages beside it.
export { actionWorkflow } from './action-workflow';
