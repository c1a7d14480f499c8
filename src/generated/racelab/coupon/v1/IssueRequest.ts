// Original file: proto/coupon.proto


export interface IssueRequest {
  'code'?: (string);
  'limit'?: (number);
}

export interface IssueRequest__Output {
  'code': (string);
  'limit': (number);
}
