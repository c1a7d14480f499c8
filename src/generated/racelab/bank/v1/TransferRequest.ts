// Original file: proto/bank.proto


export interface TransferRequest {
  'from'?: (string);
  'to'?: (string);
  'amount'?: (number);
}

export interface TransferRequest__Output {
  'from': (string);
  'to': (string);
  'amount': (number);
}
