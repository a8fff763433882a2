import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Bodies are checked strictly: no type coercion, no silently dropped fields (an unknown field such as
 * `requester` is an error, not ignored). Query strings and path params are strings on the wire, so they coerce.
 */
function ajv(coerce: boolean): Ajv {
  const a = new Ajv({ allErrors: true, coerceTypes: coerce, removeAdditional: false, useDefaults: true, strict: false });
  (addFormats as unknown as (a: Ajv) => void)(a);
  return a;
}

const strict = ajv(false);
const lenient = ajv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : lenient).compile(schema as object) as never;
