// Original file: proto/privilege.proto


export interface AdminActionResponse {
  'actions'?: (number);
}

export interface AdminActionResponse__Output {
  'actions': (number);
}
