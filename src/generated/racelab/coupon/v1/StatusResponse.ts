// Original file: proto/coupon.proto


export interface StatusResponse {
  'remaining'?: (number);
  'limit'?: (number);
}

export interface StatusResponse__Output {
  'remaining': (number);
  'limit': (number);
}
