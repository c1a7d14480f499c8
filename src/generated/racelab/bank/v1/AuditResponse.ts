// Original file: proto/bank.proto


export interface AuditResponse {
  'total'?: (number);
  'minimum'?: (number);
  'accounts'?: (number);
}

export interface AuditResponse__Output {
  'total': (number);
  'minimum': (number);
  'accounts': (number);
}
