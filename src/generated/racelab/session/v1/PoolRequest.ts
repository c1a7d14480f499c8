// Original file: proto/session.proto


export interface PoolRequest {
}

export interface PoolRequest__Output {
}
