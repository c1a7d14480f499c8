// Original file: proto/checkout.proto


export interface CheckoutResponse {
  'charges'?: (number);
  'replayed'?: (boolean);
}

export interface CheckoutResponse__Output {
  'charges': (number);
  'replayed': (boolean);
}
