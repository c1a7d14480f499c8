// Original file: proto/ratelimit.proto


export interface CallRequest {
  'user'?: (string);
}

export interface CallRequest__Output {
  'user': (string);
}
