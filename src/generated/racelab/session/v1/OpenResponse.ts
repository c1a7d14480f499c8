// Original file: proto/session.proto


export interface OpenResponse {
  'free'?: (number);
}

export interface OpenResponse__Output {
  'free': (number);
}
