// One tool for lint and format: ESLint with typescript-eslint (correctness, including the
// type-aware promise rules that matter in async storage code) and @stylistic (layout).
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // scripts/smoke/fixtures/ts: type-checked by the smoke test inside apps that install the tarballs
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', 'scripts/smoke/fixtures/ts/**'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  stylistic.configs.customize({ indent: 2, quotes: 'single', semi: true, arrowParens: true, braceStyle: '1tbs', commaDangle: 'always-multiline' }),
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@stylistic/max-len': ['error', { code: 130, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
      '@stylistic/operator-linebreak': ['error', 'before', { overrides: { '=': 'after' } }],
      // engines say Node >=20.11; crypto.hash() arrived in 20.12.
      'no-restricted-imports': ['error', { paths: [
        { name: 'node:crypto', importNames: ['hash'], message: 'crypto.hash needs Node 20.12 (engines: >=20.11); use createHash.' },
        { name: 'crypto', importNames: ['hash'], message: 'crypto.hash needs Node 20.12 (engines: >=20.11); use createHash.' },
      ] }],
    },
  },
);
