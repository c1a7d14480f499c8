// Original file: proto/bank.proto


export interface WithdrawRequest {
  'account'?: (string);
  'amount'?: (number);
}

export interface WithdrawRequest__Output {
  'account': (string);
  'amount': (number);
}
