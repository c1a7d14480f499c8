// Original file: proto/privilege.proto


export interface AuditResponse {
  'actions'?: (number);
  'after_revoke'?: (number);
  'at_revoke'?: (number);
}

export interface AuditResponse__Output {
  'actions': (number);
  'after_revoke': (number);
  'at_revoke': (number);
}
