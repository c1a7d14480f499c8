import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { nowMicros } from '../core/clock.js';

/** One HTTP/2 frame seen leaving through the tap. */
export interface OutgoingFrame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly length: number;
}

/** One write on the real socket, with the frames that started in it. */
export interface TappedWrite {
  readonly atMicros: number;
  readonly bytes: number;
  readonly frames: readonly OutgoingFrame[];
}

export const FRAME_DATA = 0x0;
export const FLAG_END_STREAM = 0x1;
const PREFACE_LENGTH = 24;

/** Splits the client's outgoing byte stream into HTTP/2 frames, across write boundaries. */
class OutgoingFrameParser {
  private prefaceLeft = PREFACE_LENGTH;
  private header = Buffer.alloc(0);
  private payloadLeft = 0;

  feed(chunk: Buffer): OutgoingFrame[] {
    const frames: OutgoingFrame[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.prefaceLeft > 0) {
        const n = Math.min(this.prefaceLeft, chunk.length - i);
        this.prefaceLeft -= n;
        i += n;
      } else if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, chunk.length - i);
        this.payloadLeft -= n;
        i += n;
      } else {
        const n = Math.min(9 - this.header.length, chunk.length - i);
        this.header = Buffer.concat([this.header, chunk.subarray(i, i + n)]);
        i += n;
        if (this.header.length === 9) {
          const h = this.header;
          const length = h.readUIntBE(0, 3);
          frames.push({ length, type: h[3] as number, flags: h[4] as number, streamId: h.readUInt32BE(5) & 0x7fffffff });
          this.payloadLeft = length;
          this.header = Buffer.alloc(0);
        }
      }
    }
    return frames;
  }
}

/**
 * racelab's own handle on an HTTP/2 connection's socket. Node's http2 takes a socket over completely (and
 * `session.socket.setNoDelay()` throws ERR_HTTP2_NO_SOCKET_MANIPULATION), so the last-frame burst hands
 * http2 this Duplex instead: every batch http2 flushes arrives here as one `_writev` and goes to the real
 * socket as exactly one `write`. That makes "all final frames left in one write" something racelab can count
 * and prove, frame by frame, instead of assume.
 */
export class SocketTap extends Duplex {
  private readonly parser = new OutgoingFrameParser();
  private log: TappedWrite[] = [];
  /** Socket writes since the tap was made. */
  writeCount = 0;

  constructor(
    readonly socket: Socket,
    private readonly keep = 100_000,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', (d: Buffer) => {
      if (!this.push(d)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(e));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  private send(buf: Buffer, cb: (e?: Error | null) => void): void {
    this.writeCount++;
    const frames = this.parser.feed(buf);
    if (this.log.length < this.keep) this.log.push({ atMicros: nowMicros(), bytes: buf.length, frames });
    this.socket.write(buf, cb);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.send(chunk, cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (e?: Error | null) => void): void {
    this.send(chunks.length === 1 ? (chunks[0] as { chunk: Buffer }).chunk : Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.socket.end(() => cb());
  }

  override _destroy(e: Error | null, cb: (e?: Error | null) => void): void {
    this.socket.destroy();
    cb(e);
  }

  /** Writes logged since the last `drain()`. */
  drain(): TappedWrite[] {
    const out = this.log;
    this.log = [];
    return out;
  }
}
