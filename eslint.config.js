// ESLint (flat config): type-aware typescript-eslint rules, and the rules that keep the layout true
// (docs/architecture.md, "Layering rules"): no import cycles, a service's domain imports only its
// own domain, no reaching into another package's src or dist. `npm run lint` runs it with Prettier and madge.
import { join } from 'node:path';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** The TypeScript the lint covers: every package's src and test. */
export const LINTED = ['{contracts,shared,cli,e2e}/{src,test}/**/*.ts', 'services/*/{src,test}/**/*.ts'];

const INTERNAL_PACKAGES = ['contracts', 'shared', 'orchestrator', 'browser-worker', 'gateway', 'dead-letters', 'x-sim', 'cli', 'e2e'];
const otherPackagesThan = (...allowed) => INTERNAL_PACKAGES.filter((p) => !allowed.includes(p)).map((p) => `@xauth/${p}`);

/** A package's src and dist are reached through its exports (`@xauth/shared`, `@xauth/shared/chromium`), never directly. */
const NO_DEEP_IMPORTS = {
  group: ['@xauth/*/src', '@xauth/*/src/**', '@xauth/*/dist', '@xauth/*/dist/**'],
  message: "Import the package's public entry (its package.json exports), not its src or dist.",
};

/** `no-restricted-imports` with the deep-import ban plus the packages a layer may not import. */
function restrictImports(forbiddenPackages, why) {
  const patterns = [NO_DEEP_IMPORTS];
  if (forbiddenPackages.length) patterns.push({ group: forbiddenPackages, message: why });
  return ['error', { patterns }];
}

/**
 * The whole config, rooted at `root` (the repository; the lint test roots it at a fixture).
 * @param {string} root
 */
export function xauthLintConfig(root) {
  return defineConfig([
    globalIgnores(['**/dist/**', '**/node_modules/**']),
    {
      files: LINTED,
      extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
      plugins: { 'import-x': importX },
      languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
      linterOptions: { reportUnusedDisableDirectives: 'error' },
      settings: {
        // import-x parses the files an import leads to itself: without a TypeScript parser for .ts it sees no imports there, and no-cycle sees no cycle.
        'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
        'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
        'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
        // Resolves `./x.js` to `./x.ts` and `@xauth/*` through the workspace links, as tsc does.
        'import-x/resolver-next': [createTypeScriptImportResolver({ alwaysTryTypes: true, project: join(root, 'tsconfig.base.json') })],
      },
      rules: {
        // --- architecture: these are why the lint exists ---
        // Type-only imports are erased at run time, so no-cycle skips them; madge (`npm run lint`) counts them too.
        'import-x/no-cycle': ['error', { ignoreExternal: true }],
        'import-x/no-self-import': 'error',
        // A relative path into another workspace package bypasses its exports and the build order.
        'import-x/no-relative-packages': 'error',
        'import-x/no-restricted-paths': [
          'error',
          {
            basePath: root,
            zones: [
              {
                target: './services/*/src/domain/**',
                // Everything in a service's src outside domain/: entry-points/, data-access/, adapters (browser/, pool/, ...), config.ts, start.ts.
                from: ['./services/*/src/!(domain)/**', './services/*/src/*.ts'],
                message:
                  'The domain imports only the domain: name what it needs in domain/ports.ts (or a domain type) and let data-access or start.ts supply it.',
              },
            ],
          },
        ],
        'no-restricted-imports': restrictImports([], ''),

        // --- recommended-type-checked, tuned to what the code does on purpose ---
        // Unused arguments keep handler and port signatures whole; a leading _ marks the rest.
        '@typescript-eslint/no-unused-vars': ['error', { args: 'none', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
        // `list[i]!` documents an element known to be there; with noUncheckedIndexedAccess off the rule calls every such `!` unnecessary.
        '@typescript-eslint/no-unnecessary-type-assertion': 'off',
        // `async () => undefined` satisfies Promise-returning ports and start/stop lists; an await is not what makes them right.
        '@typescript-eslint/require-await': 'off',
      },
    },
    {
      // Tests (and the e2e package, all test support) read JSON bodies and parsed YAML as `any` and let the assertions check their shape.
      files: ['**/test/**/*.ts', 'e2e/src/**/*.ts'],
      rules: {
        '@typescript-eslint/no-unsafe-assignment': 'off',
        '@typescript-eslint/no-unsafe-member-access': 'off',
        '@typescript-eslint/no-unsafe-argument': 'off',
        '@typescript-eslint/no-unsafe-return': 'off',
        '@typescript-eslint/no-unsafe-call': 'off',
        '@typescript-eslint/no-explicit-any': 'off',
        '@typescript-eslint/no-base-to-string': 'off',
        // chai's property assertions (`.to.be.true`, `.and.not.empty`) are expressions by design.
        '@typescript-eslint/no-unused-expressions': 'off',
      },
    },
    {
      files: ['services/*/src/**/*.ts'],
      rules: {
        'no-restricted-imports': restrictImports(
          otherPackagesThan('contracts', 'shared'),
          'A service talks to other services over the bus or HTTP; it imports only @xauth/contracts and @xauth/shared.',
        ),
      },
    },
    {
      files: ['cli/src/**/*.ts'],
      rules: {
        'no-restricted-imports': restrictImports(
          otherPackagesThan('contracts', 'shared'),
          'The CLI talks to the gateway over HTTP; it imports only @xauth/contracts and @xauth/shared.',
        ),
      },
    },
    {
      files: ['shared/src/**/*.ts'],
      rules: { 'no-restricted-imports': restrictImports(otherPackagesThan('contracts'), '@xauth/shared depends on @xauth/contracts only.') },
    },
    {
      files: ['contracts/src/**/*.ts'],
      rules: { 'no-restricted-imports': restrictImports(otherPackagesThan(), '@xauth/contracts depends on no other xauth package.') },
    },
  ]);
}

export default xauthLintConfig(import.meta.dirname);
