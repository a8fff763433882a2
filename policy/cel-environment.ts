import { Environment } from '@marcbachmann/cel-js';

/** The variables a `when` condition may use, with their CEL types (cel-js names `timestamp` by its proto name). */
export const CEL_VARIABLES = {
  action: 'string',
  resource: 'string',
  environment: 'string',
  params: 'map',
  context: 'map',
  requester: 'map',
  onBehalfOf: 'dyn', // string or null
  now: 'google.protobuf.Timestamp',
  justification: 'string',
  breakGlass: 'bool',
} as const;

export type CelVariable = keyof typeof CEL_VARIABLES;

let environment: Environment | undefined;

/** One shared environment: building one is costly, and it holds no per-policy state. */
export function policyEnvironment(): Environment {
  if (environment) return environment;
  const env = new Environment({ limits: { maxAstNodes: 5000, maxDepth: 100, maxListElements: 1000, maxMapEntries: 1000, maxCallArguments: 32 } });
  for (const [name, type] of Object.entries(CEL_VARIABLES)) env.registerVariable(name, type);
  environment = env;
  return env;
}
