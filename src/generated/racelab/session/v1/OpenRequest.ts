// Original file: proto/session.proto


export interface OpenRequest {
  'session'?: (string);
}

export interface OpenRequest__Output {
  'session': (string);
}
