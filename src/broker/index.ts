export { AckLost, ConsumerCrash, type Broker, type BrokerMessage, type ConsumeOptions, type Consumer, type ConsumerStats, type Delivery, type DeliveryHandler, type QueueSpec } from './broker.js';
export { MemoryBroker, type MemoryBrokerOptions, type MemoryFault } from './memory.js';
export { openBroker, resolveBroker, DEFAULT_AMQP_URL, DEFAULT_NATS_URL, type BrokerKind, type OpenBrokerOptions, type ResolvedBroker } from './open.js';
export { brokerNamespace, maskBrokerUrl } from './names.js';
export { startPrivateNatsServer, DEFAULT_NATS_SERVER, type PrivateNatsServer, type PrivateNatsServerOptions } from './nats-server.js';
// Types only: the adapters (and `nats` / `amqplib`) load when openBroker meets their URL.
export type { NatsBroker } from './nats.js';
export type { RabbitBroker } from './rabbitmq.js';
