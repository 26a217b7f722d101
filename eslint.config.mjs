// ESLint flat config: typescript-eslint's type-checked recommended rules for src/ and test/,
// ESLint's recommended rules for the build, demo and bench scripts. Formatting is Prettier's job
// (npm run format:check), so no stylistic rules here. Every rule turned off says why.
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test/fixtures/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_name` marks a value dropped on purpose (e.g. `const { SOPS_AGE_KEY: _dropped, ...rest } = env`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Style only: `async` without `await` is how a method returns the Promise its interface promises.
      '@typescript-eslint/require-await': 'off',
      // String(x) on values read from YAML/JSON metadata is a deliberate coercion of untrusted input.
      '@typescript-eslint/no-base-to-string': 'off',
      // `KnownName | string` is deliberate: editors complete the known names, any string is accepted.
      '@typescript-eslint/no-redundant-type-constituents': 'off',
    },
  },
  {
    // commander hands each action its options as `any`; every command checks its own flags.
    files: ['src/cli/program.ts'],
    rules: { '@typescript-eslint/no-unsafe-argument': 'off' },
  },
  {
    // Tests read CLI output through JSON.parse/YAML.parse (typed `any`) and check it with expect();
    // the assertion is the type check there. fast-check's letrec types its parts as unknown, so
    // template literals building test inputs from them are fine.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // Filled in by scripts/bundle.mjs when it builds dist/cli/main.js from this entry.
    files: ['scripts/cli-entry.cjs'],
    languageOptions: { globals: { __HELP__: 'readonly', __VERSION__: 'readonly', __BUNDLE_SHA256__: 'readonly' } },
  },
)
