/**
 * kill -9 of a real consumer process between its effect and its ack, on real NATS JetStream: 20 kills of the
 * idempotent consumer, each followed by a fresh process and JetStream's redelivery after a 500 ms ack wait.
 * RabbitMQ: kill-processes.test.ts.
 */
import { killedConsumerSuite } from '../helpers/kill-consumers.js';
import { NATS_URL } from '../helpers/services.js';

await killedConsumerSuite({ name: 'NATS', url: NATS_URL, kills: 20, ackWaitMs: 500 });
