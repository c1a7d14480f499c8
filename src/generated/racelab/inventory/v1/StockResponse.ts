// Original file: proto/inventory.proto


export interface StockResponse {
  'stock'?: (number);
  'opening'?: (number);
}

export interface StockResponse__Output {
  'stock': (number);
  'opening': (number);
}
