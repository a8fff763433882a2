import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { policyInputFor } from '../../activities';
import { SubmissionSchema } from '../../domain/action';
import { validateSubmission } from '../../policy';
import { unknownOnBehalfOf } from '../actions/on-behalf-of';
import { executeProblems } from '../actions/execute-checks';
import { normaliseSubmission } from '../actions/submission';
import type { Services } from '../../services';
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
    const principals = services.principals.current();
    const submission = normaliseSubmission(req.body, principals);
    const policy = services.policy.current();
    const { decision, trace } = policy.explain(policyInputFor({ submission, requester: req.principal, submittedAt: new Date().toISOString() }));
    const unknown = unknownOnBehalfOf(principals, req.body.onBehalfOf);
    const problems = [...(unknown ? [unknown] : []), ...executeProblems(submission.execute, services.config.httpAllowPrivate), ...validateSubmission(decision, submission)];
    return { decision: decision as never, trace: trace as never, problems: problems as never, policyVersion: policy.version };
  });
}
