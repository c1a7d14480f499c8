// Original file: proto/session.proto


export interface EndRequest {
  'session'?: (string);
}

export interface EndRequest__Output {
  'session': (string);
}
