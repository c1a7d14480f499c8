// Original file: proto/inventory.proto


export interface AddSkuRequest {
  'sku'?: (string);
  'stock'?: (number);
}

export interface AddSkuRequest__Output {
  'sku': (string);
  'stock': (number);
}
