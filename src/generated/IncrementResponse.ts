// Original file: proto/counter.proto


export interface IncrementResponse {
}

export interface IncrementResponse__Output {
}
