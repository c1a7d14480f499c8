// Original file: proto/bank.proto


export interface WithdrawResponse {
  'balance'?: (number);
}

export interface WithdrawResponse__Output {
  'balance': (number);
}
