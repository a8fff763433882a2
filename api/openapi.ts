/** Marks a route whose JSON body may be left out altogether; @fastify/swagger documents every body as required. */
export const OPTIONAL_BODY = 'x-body-optional';

type Operation = { requestBody?: { required?: boolean }; [OPTIONAL_BODY]?: boolean };

/** The OpenAPI document as built, with `requestBody.required: false` where a route says its body is optional. */
export function withOptionalBodies<T extends { paths?: Record<string, Record<string, unknown>> }>(doc: T): T {
  for (const methods of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(methods) as Operation[]) {
      if (!op?.[OPTIONAL_BODY]) continue;
      if (op.requestBody) op.requestBody.required = false;
      delete op[OPTIONAL_BODY];
    }
  }
  return doc;
}
