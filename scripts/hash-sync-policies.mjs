#!/usr/bin/env node
// Hashes what the sync policies decide without a network: for every mode, burst size and client count asked for,
// the policy's mode, its clients, which client sends each call, and its fields. A refactor of the policies that
// keeps the hash keeps those decisions. Reads the build (dist/): run `npm run build` first.
//   node scripts/hash-sync-policies.mjs
import { createHash } from 'node:crypto';
const { createSyncPolicy } = await import("../dist/burst/create-policy.js");
const h = createHash('sha256'); let n = 0;
const transport = { target: '127.0.0.1:1', metadata: [], deadlineMs: 1000, connectTimeoutMs: 100 };
for (const mode of ['sequential', 'parallel', 'connections', 'processes']) for (const count of [1, 2, 3, 7, 16, 64, 300]) for (const extra of [undefined, 1, 5, 1000]) {
  const p = createSyncPolicy({ mode, transport, count, connections: extra, processes: extra });
  h.update(JSON.stringify([mode, count, extra, p.mode, p.clients, Array.from({ length: count }, (_, i) => p.clientOf(i)), Object.keys(p).sort()])); n++;
}
console.log(n, 'policies', h.digest('hex'));
