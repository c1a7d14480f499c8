// Original file: proto/ratelimit.proto


export interface UsageRequest {
  'user'?: (string);
}

export interface UsageRequest__Output {
  'user': (string);
}
