// The layers of ../shared/DESIGN.md, enforced: an import that is not allowed below fails `npm run lint`.
// Arrows: a folder may import itself and the folders listed for it; node builtins and npm packages are free.
const layers = {
  scenarios: ['scenarios', 'grpc', 'burst', 'actor', 'explore', 'check', 'store', 'report', 'sched', 'history', 'core', 'proxy', 'generated', 'monitor'],
  monitor: ['monitor', 'grpc', 'store', 'check', 'history', 'core'],
  explore: ['explore', 'sched', 'check', 'history', 'core'],
  burst: ['burst', 'grpc', 'history', 'core'],
  grpc: ['grpc', 'history', 'core', 'generated'],
  actor: ['actor', 'sched', 'core'],
  check: ['check', 'history', 'core'],
  store: ['store', 'sched', 'core'],
  report: ['report', 'check', 'history', 'core'],
  history: ['history', 'core'],
  proxy: ['proxy', 'core'],
  sched: ['sched', 'core'],
  generated: ['generated'],
  core: ['core'],
};

const allowed = [
  { from: {}, to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] } },
  { from: { path: '^src/cli/' }, to: { path: '^src/' } },
  { from: { path: '^src/index\\.ts$' }, to: { path: '^src/(?!cli/)' } },
  ...Object.entries(layers).map(([layer, targets]) => ({
    from: { path: `^src/${layer}/` },
    to: { path: `^src/(${targets.join('|')})/` },
  })),
];

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Imports must not form cycles.', from: {}, to: { circular: true } },
    { name: 'not-to-cli', severity: 'error', comment: 'Nothing imports the CLI; it imports the library.', from: { pathNot: '^src/cli/' }, to: { path: '^src/cli/' } },
  ],
  allowed,
  allowedSeverity: 'error',
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
