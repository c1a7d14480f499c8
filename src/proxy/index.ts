export { startJitterProxy, type JitterProxy, type JitterProxyOptions } from './jitter-proxy.js';
export { DelaySchedule, directionSeed, type ProxyDirection } from './delay-schedule.js';
export { parseHostPort, formatHostPort, type HostPort } from './address.js';
export type { ProxySegment } from './segment-pipe.js';
export type { ProxyStats, ProxyDirectionStats, ProxyConnectionStats } from './stats.js';
export { renderProxyStats } from './render-stats.js';
