import { Connection } from '@temporalio/client';
import protos from '@temporalio/proto';
import { loadConfig, temporalConnectionOptions, type Config } from '../config';
import { SEARCH_ATTRIBUTE_NAMES } from '../workflows/search-attributes';
import { parseArgs, rejectUnknown, UsageError } from './args';
import type { CliIo } from './io';

const USAGE = 'usage: interlock temporal setup   (registers the search attributes on the Temporal service at TEMPORAL_ADDRESS)';
const KEYWORD = protos.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

/**
 * `interlock temporal setup`: registers the Keyword search attributes the workflow upserts on an existing cluster
 * through the operator service; those already registered are left alone, so it can run on every deploy.
 */
export async function temporalCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  const [sub, ...extra] = args.positional;
  if (sub !== 'setup' || extra.length) throw new UsageError(USAGE);
  rejectUnknown(args, []);
  const config = loadConfig(io.env);
  if (!config.temporalAddress) throw new UsageError('TEMPORAL_ADDRESS is not set: `temporal setup` registers the search attributes on an existing Temporal service (the dev server `npm start` runs registers them itself)');
  const added = await ensureSearchAttributes(config, config.temporalAddress);
  const namespace = config.temporalNamespace;
  io.out(added.length ? `registered ${added.join(', ')} (Keyword) in namespace ${namespace}` : `search attributes already registered in namespace ${namespace}: ${SEARCH_ATTRIBUTE_NAMES.join(', ')}`);
  return 0;
}

/**
 * Registers, through the operator service, those of the five Keyword search attributes the namespace lacks; the
 * names it registered (none when all were there). Refuses when one exists with another type.
 */
export async function ensureSearchAttributes(config: Config, address: string): Promise<string[]> {
  const connection = await Connection.connect(temporalConnectionOptions(config, address));
  try {
    const namespace = config.temporalNamespace;
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const existing = customAttributes ?? {};
    const wrongType = SEARCH_ATTRIBUTE_NAMES.filter((n) => n in existing && existing[n] !== KEYWORD);
    if (wrongType.length) throw new Error(`search attribute(s) ${wrongType.join(', ')} exist in namespace ${namespace} with a type other than Keyword; remove them or use another namespace`);
    const missing = SEARCH_ATTRIBUTE_NAMES.filter((n) => !(n in existing));
    if (missing.length) {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((n) => [n, KEYWORD])) });
    }
    return missing;
  } finally {
    await connection.close();
  }
}
