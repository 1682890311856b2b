// Import-cycle check over src/ (run by `npm run lint`): no cycles, type-only imports included.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle, even through `import type`, means a type lives in the wrong file: move it to where it belongs (docs/design/structure.md).',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Keep `import type` edges: TypeScript erases them, but they still tie the files together.
    tsPreCompilationDeps: true,
    // Resolve the `.js` specifiers of the sources to their `.ts` files as tsc does.
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
