// Original file: proto/inventory.proto


export interface ReserveRequest {
  'sku'?: (string);
  'quantity'?: (number);
}

export interface ReserveRequest__Output {
  'sku': (string);
  'quantity': (number);
}
