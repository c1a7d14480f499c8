// A user's own grpc-js Counter server (nothing of racelab's server code), for bench/monitor.bench.mjs: the atomic
// Increment on racelab's MemoryStore, served `none` (no monitor), `async` (grpcInterceptor and monitoredStore as the
// README shows them: each handler in its request's AsyncLocalStorage context) or `explicit` (grpcInterceptor with
// asyncContext false; the handler names its request: monitoredStore(store, monitor, monitor.requestOf(call))).
// `node bench/monitor-plain-server.mjs MODE` prints "on 127.0.0.1:PORT" once it serves, on loopback only.
import * as grpc from '@grpc/grpc-js';
import { MemoryStore, grpcInterceptor, monitoredStore, raceMonitor } from '../dist/index.js';
import { loadCounterProto } from '../dist/scenarios/counter/server.js';
import { serviceDefinition } from '../dist/grpc/proto.js';

const mode = process.argv[2];
if (!['none', 'async', 'explicit'].includes(mode)) throw new Error(`mode: give none, async or explicit, not ${mode}`);
const store = new MemoryStore();
const monitor = mode === 'none' ? undefined : raceMonitor();
const implicit = monitor ? monitoredStore(store, monitor) : store;
const server = new grpc.Server(monitor ? { interceptors: [grpcInterceptor(monitor, { asyncContext: mode === 'async' })] } : {});
server.addService(serviceDefinition(loadCounterProto(), 'Counter'), {
  Increment(call, done) {
    const seen = mode === 'explicit' ? monitoredStore(store, monitor, monitor.requestOf(call)) : implicit;
    seen.increment('counter').then(() => done(null, {}), done);
  },
  GetValue(_call, done) {
    store.get('counter').then((value) => done(null, { value }), done);
  },
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) => {
  if (e) throw e;
  console.log(`on 127.0.0.1:${port} (${mode})`);
});
process.on('SIGTERM', () => server.forceShutdown());
