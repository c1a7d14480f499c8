/**
 * Seeded randomness: one 32-bit seed reproduces a whole run. The generator (sfc32 seeded through splitmix32)
 * is small, fast and cloneable, so a strategy can fork it without disturbing the run's own stream.
 */
export class Random {
  private constructor(private a: number, private b: number, private c: number, private d: number) {}

  static seeded(seed: number): Random {
    // splitmix32 for the four words, then 12 rounds of sfc32 to mix them: the same steps as nextUint32, on locals
    // (the explorer seeds a generator per run, so this is on its hot path).
    let s = ((seed >>> 0) + 0x9e3779b9) >>> 0;
    let a = splitmix32(s);
    s = (s + 0x9e3779b9) >>> 0;
    let b = splitmix32(s);
    s = (s + 0x9e3779b9) >>> 0;
    let c = splitmix32(s);
    s = (s + 0x9e3779b9) >>> 0;
    let d = splitmix32(s);
    for (let i = 0; i < 12; i++) {
      const t = (((a + b) >>> 0) + d) >>> 0;
      d = (d + 1) >>> 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) >>> 0;
      c = ((c << 21) | (c >>> 11)) >>> 0;
      c = (c + t) >>> 0;
    }
    return new Random(a, b, c, d);
  }

  /** A fresh seed from the system, for runs the user did not seed (it is printed, so it can be replayed). */
  static freshSeed(): number {
    return (Math.random() * 0x1_0000_0000) >>> 0;
  }

  clone(): Random {
    return new Random(this.a, this.b, this.c, this.d);
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }

  uuid(): string {
    const hex = Array.from({ length: 4 }, () => this.nextUint32().toString(16).padStart(8, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex[16] ?? '0', 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

function splitmix32(state: number): number {
  let z = Math.imul(state ^ (state >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
