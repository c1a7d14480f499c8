import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessage, encodeJsonMessage } from '../../src/grpc/json-message.js';
import { loadSchemaFromProto } from '../../src/grpc/schema.js';
import { tempDir } from '../helpers/tmp.js';

const file = join(tempDir('racelab-json-'), 'shop.proto');
writeFileSync(
  file,
  `syntax = "proto3";
   package shop;
   import "google/protobuf/timestamp.proto";
   import "google/protobuf/wrappers.proto";
   enum Kind { KIND_UNSPECIFIED = 0; PERCENT = 1; }
   message Line { string sku = 1; int32 qty = 2; }
   message Redeem {
     string coupon_code = 1; int32 amount = 2; int64 big = 3; uint32 small = 4; bool dry_run = 5; bytes blob = 6;
     Kind kind = 7; repeated Line lines = 8; map<string, int32> tags = 9;
     google.protobuf.Timestamp at = 10; google.protobuf.Int32Value limit = 11;
     oneof target { string user = 12; string team = 13; }
   }
   service Coupons { rpc Use (Redeem) returns (Line); }`,
);
const Redeem = loadSchemaFromProto([file]).root.lookupType('shop.Redeem');

describe('request JSON against a message type', () => {
  it('accepts proto3 JSON (camelCase or proto names, strings for 64-bit, base64, enum names, well-known types)', () => {
    const bytes = encodeJsonMessage(Redeem, {
      couponCode: 'X1',
      amount: '5',
      big: '9007199254740993',
      small: 7,
      dry_run: true,
      blob: Buffer.from('hi').toString('base64'),
      kind: 'PERCENT',
      lines: [{ sku: 'a', qty: 2 }],
      tags: { t: 1 },
      at: '2024-01-31T12:00:00.5Z',
      limit: 3,
      user: 'u1',
    });
    const back = decodeMessage(Redeem, bytes);
    expect(back).toMatchObject({ coupon_code: 'X1', amount: 5, big: '9007199254740993', small: 7, dry_run: true, kind: 'PERCENT', lines: [{ sku: 'a', qty: 2 }], tags: { t: 1 }, user: 'u1' });
    expect(back.at).toEqual({ seconds: 1706702400, nanos: 500_000_000 });
    expect(back.limit).toEqual({ value: 3 });
    expect(decodeMessage(Redeem, encodeJsonMessage(Redeem, { big: 12 })).big).toBe(12);
  });

  it('names the field that does not fit, and why', () => {
    expect(() => encodeJsonMessage(Redeem, { amount: 'ten' })).toThrow('data: field "amount" of shop.Redeem must be an integer (int32), got "ten"');
    expect(() => encodeJsonMessage(Redeem, { amont: 1 })).toThrow(/data: shop.Redeem has no field "amont"; its fields are coupon_code, amount/);
    expect(() => encodeJsonMessage(Redeem, { lines: [{ sku: 'a', price: 1 }] })).toThrow(/shop.Line has no field "price" \(at lines\[0\].price\); its fields are sku, qty/);
    expect(() => encodeJsonMessage(Redeem, { lines: [{ sku: 'a' }, { qty: 1.5 }] })).toThrow(/field "lines\[1\].qty" of shop.Redeem must be an integer/);
    expect(() => encodeJsonMessage(Redeem, { small: -1 })).toThrow(/-1 is out of range for uint32/);
    expect(() => encodeJsonMessage(Redeem, { kind: 'HALF' })).toThrow(/"HALF" is not a value of enum shop.Kind; use one of KIND_UNSPECIFIED, PERCENT/);
    expect(() => encodeJsonMessage(Redeem, { user: 'a', team: 'b' })).toThrow(/members of oneof target/);
    expect(() => encodeJsonMessage(Redeem, { at: 'yesterday' })).toThrow(/field "at" of shop.Redeem must be an RFC 3339 time/);
    expect(() => encodeJsonMessage(Redeem, [1])).toThrow(/the request \(shop.Redeem\) must be a JSON object/);
    expect(() => encodeJsonMessage(Redeem, { dry_run: 'yes' })).toThrow(/must be true or false/);
  });
});
