import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { policyInputFor } from '../../activities';
import { SubmissionSchema } from '../../domain/action';
import { validateSubmission } from '../../policy';
import { normaliseSubmission } from '../actions/submission';
import type { Services } from '../../stack/services';
import { bodyErrors } from '../errors';

export async function policyRoutes(app: FastifyInstance, { services }: { services: Services }) {
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
        ...bodyErrors(),
      },
    },
  }, async (req) => {
    const submission = normaliseSubmission(req.body);
    const policy = services.policy.current();
    const { decision, trace } = policy.explain(policyInputFor({ submission, requester: req.principal, submittedAt: new Date().toISOString() }));
    return { decision: decision as never, trace: trace as never, problems: validateSubmission(decision, submission) as never, policyVersion: policy.version };
  });
}
