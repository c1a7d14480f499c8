/**
 * kill -9 of a real consumer process between its effect and its ack, on real RabbitMQ (which requeues at once),
 * 20 kills of the idempotent consumer. NATS: kill-processes-nats.test.ts.
 */
import { killedConsumerSuite } from '../helpers/kill-consumers.js';
import { AMQP_URL } from '../helpers/services.js';

await killedConsumerSuite({ name: 'RabbitMQ', url: AMQP_URL, kills: 20, ackWaitMs: 1000 });
