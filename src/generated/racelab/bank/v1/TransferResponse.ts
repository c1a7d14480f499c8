// Original file: proto/bank.proto


export interface TransferResponse {
  'balance'?: (number);
}

export interface TransferResponse__Output {
  'balance': (number);
}
