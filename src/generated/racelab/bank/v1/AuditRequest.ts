// Original file: proto/bank.proto


export interface AuditRequest {
}

export interface AuditRequest__Output {
}
