// Original file: proto/ratelimit.proto


export interface UsageResponse {
  'used'?: (number);
  'limit'?: (number);
  'window_ms'?: (number);
}

export interface UsageResponse__Output {
  'used': (number);
  'limit': (number);
  'window_ms': (number);
}
