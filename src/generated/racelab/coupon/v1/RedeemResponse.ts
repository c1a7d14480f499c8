// Original file: proto/coupon.proto


export interface RedeemResponse {
  'remaining'?: (number);
}

export interface RedeemResponse__Output {
  'remaining': (number);
}
