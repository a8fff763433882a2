import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ActionCore } from '../../core';
import { SubmissionSchema } from '../../domain/action';
import { bodyErrors } from '../errors';

/** The policy route group, behind a token. */
export async function policyRoutes(app: FastifyInstance, { actions }: { actions: ActionCore }) {
  app.addHook('onRequest', app.requireToken);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.post('/v1/policy/evaluate', {
    schema: {
      tags: ['policy'], security: [{ bearer: [] }],
      summary: 'Dry run: the decision this submission would get, and why each earlier rule did not match',
      description: 'Evaluated as the caller, against the policy version in force now. Starts nothing and records nothing.',
      body: SubmissionSchema,
      response: {
        200: Type.Object({
          decision: Type.Record(Type.String(), Type.Unknown()),
          trace: Type.Array(Type.Record(Type.String(), Type.Unknown())),
          problems: Type.Array(Type.Record(Type.String(), Type.Unknown())),
          policyVersion: Type.String(),
        }),
        ...bodyErrors(422),
      },
    },
  }, async (req) => actions.evaluate(req.principal, req.body) as never);
}
