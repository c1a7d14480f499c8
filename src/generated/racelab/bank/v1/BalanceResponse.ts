// Original file: proto/bank.proto


export interface BalanceResponse {
  'balance'?: (number);
}

export interface BalanceResponse__Output {
  'balance': (number);
}
