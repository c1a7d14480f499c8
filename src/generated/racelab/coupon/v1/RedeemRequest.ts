// Original file: proto/coupon.proto


export interface RedeemRequest {
  'code'?: (string);
  'user'?: (string);
}

export interface RedeemRequest__Output {
  'code': (string);
  'user': (string);
}
