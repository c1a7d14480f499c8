// Original file: proto/ratelimit.proto


export interface CallResponse {
  'used'?: (number);
}

export interface CallResponse__Output {
  'used': (number);
}
