// Original file: proto/session.proto


export interface PoolResponse {
  'free'?: (number);
  'capacity'?: (number);
}

export interface PoolResponse__Output {
  'free': (number);
  'capacity': (number);
}
