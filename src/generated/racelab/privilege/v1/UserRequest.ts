// Original file: proto/privilege.proto


export interface UserRequest {
  'user'?: (string);
}

export interface UserRequest__Output {
  'user': (string);
}
