// Original file: proto/counter.proto


export interface GetValueResponse {
  'value'?: (number);
}

export interface GetValueResponse__Output {
  'value': (number);
}
