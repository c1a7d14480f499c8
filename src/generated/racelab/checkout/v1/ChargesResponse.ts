// Original file: proto/checkout.proto


export interface ChargesResponse {
  'charges'?: (number);
  'charged'?: (number);
  'price'?: (number);
}

export interface ChargesResponse__Output {
  'charges': (number);
  'charged': (number);
  'price': (number);
}
