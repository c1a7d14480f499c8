// Original file: proto/counter.proto


export interface IncrementRequest {
}

export interface IncrementRequest__Output {
}
