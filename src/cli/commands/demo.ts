import type { Command } from 'commander';
import { register as registerGrpc } from './demo-grpc.js';
import { register as registerActors } from './demo-actors.js';
import { register as registerReplicas } from './demo-replicas.js';
import { register as registerTransactions } from './demo-transactions.js';
import { register as registerBrokers } from './demo-brokers.js';
import { register as registerImpacts } from './demo-impacts.js';

/** `racelab demo <name>`: one subcommand per seed simulation; `grpc` is the default. */
export function register(program: Command): void {
  const demo = program.command('demo').description("run a seed's simulation end to end and explain what it measured");
  registerGrpc(demo);
  registerActors(demo);
  registerReplicas(demo);
  registerTransactions(demo);
  registerBrokers(demo);
  registerImpacts(demo);
}
