// Original file: proto/inventory.proto


export interface StockRequest {
  'sku'?: (string);
}

export interface StockRequest__Output {
  'sku': (string);
}
