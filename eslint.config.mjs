import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '**/generated', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts', 'apps/console-ui/**/*.tsx'],
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(['type:lib']),
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='only']", message: 'No focused tests.' },
        { selector: "CallExpression[callee.property.name='skip']", message: 'No skipped tests.' },
      ],
    },
  },
  {
    // Framework-free cores, checked by import name as well (the Nx rule needs the package installed).
    files: ['libs/{etcd,discovery,lb-resolver,config,lock,ops}/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@nestjs/*', 'rxjs', 'rxjs/*'], message: 'Core libraries are framework-free: put Nest code in libs/nest.' }] },
      ],
    },
  },
  {
    // The console's browser app: values from etcd are rendered as text, never as HTML.
    files: ['apps/console-ui/**/*.ts', 'apps/console-ui/**/*.tsx'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: 'Render etcd values as text.' },
        { selector: "MemberExpression[property.name='innerHTML']", message: 'Render etcd values as text.' },
        { selector: "CallExpression[callee.property.name='only']", message: 'No focused tests.' },
        { selector: "CallExpression[callee.property.name='skip']", message: 'No skipped tests.' },
      ],
    },
  },
  {
    // Tests of a library or an app may use the test harness (a tool); nothing imports an app.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/testing/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(['type:lib', 'type:tool']) },
  },
];

function boundaries(libDeps) {
  return [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // Framework-free cores: no Nest, no RxJS, only other cores.
            {
              sourceTag: 'framework:none',
              onlyDependOnLibsWithTags: ['framework:none'],
              bannedExternalImports: ['@nestjs/*', 'rxjs', 'rxjs/*'],
            },
            // The browser app: framework-free libraries (the console contract) only, no server packages.
            {
              sourceTag: 'framework:react',
              onlyDependOnLibsWithTags: ['framework:none'],
              bannedExternalImports: ['@nestjs/*', 'rxjs', 'rxjs/*', 'etcd3', '@grpc/*', '@opentelemetry/*'],
            },
            // Libraries never import apps.
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: libDeps },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: libDeps },
            { sourceTag: 'type:bench', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
          ],
        },
      ];
}
