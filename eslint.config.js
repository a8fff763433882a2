import tseslint from 'typescript-eslint';

const ioModules = ['node:*', 'fs', 'path', 'crypto', 'http', 'https', 'net', 'child_process', 'pg', 'drizzle-orm', 'drizzle-orm/*', 'fastify', '@slack/*', 'undici', 'axios', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'];

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', '.tools/**', 'db/migrations/**', 'test/histories/*.json'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // The image installs production dependencies only (npm ci --omit=dev): test tooling stays in tests and benchmarks.
    files: ['**/*.ts'],
    ignores: ['test/**', 'bench/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: '@temporalio/testing', message: '@temporalio/testing is a devDependency: import it only from test/ or bench/.' }] }] },
  },
  {
    // Workflow code is replayed deterministically in Temporal's sandbox: no I/O, no clients, only types from activities.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ioModules, message: 'workflows/ must stay deterministic: do I/O in an activity (activities/) and import only its types.' }, { group: ['../activities', '../activities/*'], allowTypeImports: true, message: 'import only types from activities.' }] }],
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'use sleep() or condition() from @temporalio/workflow' }, { name: 'setInterval', message: 'use a workflow timer' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'use the workflow API for randomness' }],
    },
  },
  {
    // The use cases serve every door (API, Slack, later Teams, the console, MCP): no door's framework in here.
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['fastify', 'fastify-*', '@fastify/*', '@slack/*', '../api', '../api/*', '../slack', '../slack/*', '../channels', '../channels/*'], message: 'core/ knows no door: throw an InterlockError and let api/ or the channel map it.' }] }],
    },
  },
);
