// Original file: proto/inventory.proto


export interface ReserveResponse {
  'stock'?: (number);
}

export interface ReserveResponse__Output {
  'stock': (number);
}
