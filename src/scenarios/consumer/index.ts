export { consumerVariants, consumerVariant, type ConsumerVariant, type EffectContext } from './variants.js';
export { tally, violations, explainTally, type Application, type ConsumerTally } from './tally.js';
export { runConsumerVariant, planMessages, type ConsumerRunOptions, type ConsumerRunResult } from './run.js';
export { consumerWorkload, type ConsumerWorkloadOptions } from './workload.js';
export { runBrokerDemo, renderBrokerDemo, type BrokerDemoOptions, type BrokerDemoReport, type BrokerDemoRun } from './demo.js';
export { producerVariants, producerWorkload, type ProducerVariant, type ProducerWorkloadOptions } from './producer.js';
