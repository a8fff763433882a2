// The baseline the overhead benchmark compares Interlock with: the least a Temporal user would write to make the
// same HTTP call durably, one workflow with one activity, no approval layer.
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './activities';

const { post } = proxyActivities<typeof activities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 6 } });

export async function baselineWorkflow(url: string, key: string, body: unknown): Promise<number> {
  return post(url, key, body);
}
