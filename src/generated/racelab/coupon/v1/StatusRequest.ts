// Original file: proto/coupon.proto


export interface StatusRequest {
  'code'?: (string);
}

export interface StatusRequest__Output {
  'code': (string);
}
