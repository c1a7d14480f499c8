import { describe, expect, it } from 'vitest';
import { listenError } from '../../src/core/tcp.js';

describe('listenError', () => {
  it("reads grpc-js's message, which carries the errno only in its text", () => {
    const e = listenError(new Error('No address added out of total 1 resolved errors: [listen EADDRNOTAVAIL: address not available 10.255.255.1]'), '10.255.255.1', 0, { port: 'port', host: 'host' });
    expect(e.code).toBe('BAD_OPTION');
    expect(e.message).toBe('host: 10.255.255.1 is not an address of this machine; use 127.0.0.1, or an address of one of its interfaces (0.0.0.0 for all of them)');
  });

  it("reads node:net's code, and names the port's parameter for a port in use", () => {
    const e = listenError(Object.assign(new Error('listen EADDRINUSE: address already in use ::1:8080'), { code: 'EADDRINUSE' }), '::1', 8080, { port: 'port', host: 'host' });
    expect(e.code).toBe('PORT_IN_USE');
    expect(e.message).toBe('port: [::1]:8080 is already in use; stop what listens there or pick another port (0 picks a free one)');
  });

  it('keeps the text of an error it does not know', () => {
    const e = listenError(new Error('something new'), '127.0.0.1', 1, 'listen');
    expect(e.message).toBe('listen: cannot listen on 127.0.0.1:1: something new');
  });
});
