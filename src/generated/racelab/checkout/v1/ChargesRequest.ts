// Original file: proto/checkout.proto


export interface ChargesRequest {
  'order'?: (string);
}

export interface ChargesRequest__Output {
  'order': (string);
}
