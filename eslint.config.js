// Lint: typescript-eslint's recommended rules, lines within 120 columns, no import cycles, and the layer zones (which directory may
// import which). `npm run lint`; CI runs it after the typecheck and before the tests.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

/** A zone: files under `target` may not import from `from` (paths from the project root). */
const zone = (target, from, message, except) => ({ target, from, message, ...(except ? { except } : {}) });

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'web/dist/**',
      'demo-out/**',
      'runs/**',
      'src/kernels/shaders.gen.ts',
      'src/io/onnx-proto.gen.ts',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { typescript: true, node: true }, 'import-x/extensions': ['.ts', '.js'] },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            zone(
              './src/kernels',
              './src/tensor',
              'kernels sit below the tensor layer: they may use src/device and the pure shape arithmetic only',
              ['./shape.ts'],
            ),
            zone('./src/device', './src/tensor', 'the device layer knows nothing of tensors'),
            zone('./src/autograd', './src/kernels', 'autograd reaches kernels only through tensor ops'),
            ...['nn', 'quant', 'experiments', 'cli', 'io', 'data'].map((d) =>
              zone(`./src/${d}`, './src/kernels', 'kernels are reached only through the tensor layer (src/tensor/ops)'),
            ),
            zone('./web', './src/kernels', 'kernels are reached only through the tensor layer (src/tensor/ops)'),
            zone('./src/quant', './src/experiments', 'quant is a library; experiments build on it, not the reverse'),
            zone('./src/nn', './src/experiments', 'nn is a library; experiments build on it, not the reverse'),
            zone('./src/tensor', './src/nn', 'the tensor layer knows nothing of modules'),
            ...['tensor', 'autograd', 'kernels', 'device', 'nn', 'quant'].map((d) =>
              zone(
                `./src/${d}`,
                './src/platform/node.ts',
                'engine code stays browser-safe; entry points pick the platform',
              ),
            ),
          ],
        },
      ],
      // prettier wraps code at 120 columns but not strings, comments or templates: this catches those
      'max-len': ['error', { code: 120, ignoreUrls: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
