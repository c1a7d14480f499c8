// Original file: proto/bank.proto


export interface BalanceRequest {
  'account'?: (string);
}

export interface BalanceRequest__Output {
  'account': (string);
}
