// The layers of ../shared/DESIGN.md, enforced: an import that is not allowed below fails `npm run lint`.
// Arrows: a folder may import itself and the folders listed for it; node builtins and npm packages are free.
const layers = {
  // Demos drive the engines: `demo impacts` bursts each scenario through the attack engine.
  scenarios: ['scenarios', 'attack', 'grpc', 'burst', 'actor', 'explore', 'check', 'txn', 'store', 'broker', 'report', 'sched', 'history', 'core', 'proxy', 'generated', 'monitor'],
  // The race monitor for live services: an interceptor and its metrics and logs.
  monitor: ['monitor', 'grpc', 'store', 'check', 'history', 'core'],
  // The built-in workloads that `racelab explore` and `replay` run: scenarios' code under the explorer.
  workloads: ['workloads', 'scenarios', 'explore', 'actor', 'check', 'store', 'sched', 'history', 'core'],
  // Agents over NATS: signed jobs run by the burst engine and the explorer; the coordinator side splits an attack
  // over agents, and an exploration's shards (the built-in workloads are handed in by name, from the CLI).
  agents: ['agents', 'attack', 'burst', 'grpc', 'history', 'check', 'broker', 'explore', 'core', 'generated'],
  // The attack engine: the invariant language, request templating, burst planning, judging, recording.
  attack: ['attack', 'burst', 'grpc', 'history', 'check', 'core', 'generated', 'scenarios'],
  explore: ['explore', 'instrument', 'sched', 'check', 'history', 'core'],
  instrument: ['instrument', 'sched', 'core'],
  burst: ['burst', 'grpc', 'history', 'core'],
  grpc: ['grpc', 'history', 'core', 'generated'],
  actor: ['actor', 'sched', 'core'],
  check: ['check', 'history', 'core'],
  txn: ['txn', 'history', 'core'],
  store: ['store', 'sched', 'core'],
  report: ['report', 'check', 'txn', 'history', 'core'],
  broker: ['broker', 'sched', 'core'],
  history: ['history', 'core'],
  proxy: ['proxy', 'core'],
  sched: ['sched', 'core'],
  generated: ['generated'],
  core: ['core'],
};

const allowed = [
  { from: {}, to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] } },
  { from: { path: '^src/cli/' }, to: { path: '^src/' } },
  // mariadb's exports map has only import/require conditions, which the resolver here does not follow; it is an
  // installed npm dependency (package.json), so it is allowed by name.
  { from: {}, to: { path: '^mariadb$', couldNotResolve: true } },
  { from: { path: '^src/index\\.ts$' }, to: { path: '^src/(?!cli/)' } },
  ...Object.entries(layers).map(([layer, targets]) => ({
    from: { path: `^src/${layer}/` },
    to: { path: `^src/(${targets.join('|')})/` },
  })),
  // report renders every engine's report: it may see their types, never run their code. (The attack's
  // report module is data and wording, so report may use it.)
  { from: { path: '^src/report/' }, to: { path: '^src/(burst|scenarios|workloads|explore)/', dependencyTypes: ['type-only'] } },
  { from: { path: '^src/report/' }, to: { path: '^src/attack/report\\.ts$' } },
  // How a report says that shrinking stopped early: wording only.
  { from: { path: '^src/report/' }, to: { path: '^src/explore/shrink-stop\\.ts$' } },
  // What a gRPC status means for a call's effect is data the attack page shows.
  { from: { path: '^src/report/' }, to: { path: '^src/grpc/status\\.ts$' } },
];

module.exports = {
  forbidden: [
    // A type-only import is erased at compile time, so it cannot make a module see another half-initialised: a
    // class and the type of the class that owns it (an actor Process and its ActorSystem) may name each other.
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Imports must not form cycles (type-only imports are erased and do not count).',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    { name: 'not-to-cli', severity: 'error', comment: 'Nothing imports the CLI; it imports the library.', from: { pathNot: '^src/cli/' }, to: { path: '^src/cli/' } },
  ],
  allowed,
  allowedSeverity: 'error',
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    // magic-string ships only an exports map to .mjs with its types in `types`: without that field the resolver
    // calls it unknown, and an unknown dependency is not allowed.
    enhancedResolveOptions: { extensions: ['.ts', '.js'], mainFields: ['module', 'main', 'types'] },
  },
};
