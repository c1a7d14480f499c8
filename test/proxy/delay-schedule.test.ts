import { describe, expect, it } from 'vitest';
import { DelaySchedule, directionSeed, formatHostPort, parseHostPort } from '../../src/proxy/index.js';

const take = (s: DelaySchedule, n: number): number[] => Array.from({ length: n }, () => s.next());

describe('DelaySchedule', () => {
  it('gives the same delay sequence for the same seed, connection and direction', () => {
    const a = take(DelaySchedule.forDirection(42, 3, 'clientToTarget', 20, 5), 1000);
    const b = take(DelaySchedule.forDirection(42, 3, 'clientToTarget', 20, 5), 1000);
    expect(a).toEqual(b);
  });

  it('gives different sequences to other seeds, connections and directions', () => {
    const base = take(DelaySchedule.forDirection(42, 0, 'clientToTarget', 20, 5), 50);
    expect(take(DelaySchedule.forDirection(43, 0, 'clientToTarget', 20, 5), 50)).not.toEqual(base);
    expect(take(DelaySchedule.forDirection(42, 1, 'clientToTarget', 20, 5), 50)).not.toEqual(base);
    expect(take(DelaySchedule.forDirection(42, 0, 'targetToClient', 20, 5), 50)).not.toEqual(base);
    const seeds = new Set<number>();
    for (let c = 0; c < 1000; c++) for (const d of ['clientToTarget', 'targetToClient'] as const) seeds.add(directionSeed(7, c, d));
    expect(seeds.size).toBe(2000);
  });

  it('draws every delay in [delay, delay + jitter), spread over the whole range', () => {
    const delays = take(DelaySchedule.forDirection(1, 0, 'clientToTarget', 20, 5), 20_000);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...delays)).toBeLessThan(25);
    const mean = delays.reduce((s, d) => s + d, 0) / delays.length;
    expect(mean).toBeGreaterThan(22.4);
    expect(mean).toBeLessThan(22.6);
    // Each fifth of the range gets about a fifth of the draws: uniform, not clustered.
    const buckets = [0, 0, 0, 0, 0];
    for (const d of delays) buckets[Math.floor(d - 20)]!++;
    for (const b of buckets) expect(b).toBeGreaterThan(3600);
  });

  it('without jitter, every segment gets exactly the fixed delay', () => {
    expect(new Set(take(DelaySchedule.forDirection(9, 0, 'targetToClient', 20, 0), 100))).toEqual(new Set([20]));
  });
});

describe('parseHostPort', () => {
  it('reads host:port, [v6]:port, and :port or a bare port where a default host is given', () => {
    expect(parseHostPort('localhost:50051', '--target')).toEqual({ host: 'localhost', port: 50051 });
    expect(parseHostPort('[::1]:8080', '--target')).toEqual({ host: '::1', port: 8080 });
    expect(parseHostPort(':0', '--listen', { defaultHost: '127.0.0.1', minPort: 0 })).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseHostPort('9000', '--listen', { defaultHost: '127.0.0.1' })).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(formatHostPort({ host: '::1', port: 1 })).toBe('[::1]:1');
  });

  it('rejects what is not an address, naming the option', () => {
    expect(() => parseHostPort('localhost', '--target')).toThrow(/--target: "localhost" is not host:port/);
    expect(() => parseHostPort(':50051', '--target')).toThrow(/--target: ":50051" has no host/);
    expect(() => parseHostPort('a:0', '--target')).toThrow(/--target: port 0 is out of range/);
    expect(() => parseHostPort('a:70000', '--listen', { defaultHost: 'x', minPort: 0 })).toThrow(/port 70000 is out of range; use 0 to 65535/);
    expect(() => parseHostPort('a b:1', '--target')).toThrow(/is not host:port/);
  });
});
