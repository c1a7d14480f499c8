// Types for `hpack` (RFC 7541 encoder and decoder, plain JavaScript, no types of its own). Only what racelab uses.
declare module 'hpack' {
  class HPACK {
    /** Decodes one header block, in the order blocks arrived on the connection (the dynamic table is shared). */
    decode(block: Buffer): Array<[string, string]>;
  }
  export = HPACK;
}
