// Original file: proto/checkout.proto


export interface CheckoutRequest {
  'order'?: (string);
  'idempotency_key'?: (string);
}

export interface CheckoutRequest__Output {
  'order': (string);
  'idempotency_key': (string);
}
