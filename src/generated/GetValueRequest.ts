// Original file: proto/counter.proto


export interface GetValueRequest {
}

export interface GetValueRequest__Output {
}
