// Original file: proto/session.proto


export interface EndResponse {
  'free'?: (number);
}

export interface EndResponse__Output {
  'free': (number);
}
