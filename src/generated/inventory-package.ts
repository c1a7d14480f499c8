import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddSkuRequest as _racelab_inventory_v1_AddSkuRequest, AddSkuRequest__Output as _racelab_inventory_v1_AddSkuRequest__Output } from './racelab/inventory/v1/AddSkuRequest.js';
import type { InventoryClient as _racelab_inventory_v1_InventoryClient, InventoryDefinition as _racelab_inventory_v1_InventoryDefinition } from './racelab/inventory/v1/Inventory.js';
import type { ReserveRequest as _racelab_inventory_v1_ReserveRequest, ReserveRequest__Output as _racelab_inventory_v1_ReserveRequest__Output } from './racelab/inventory/v1/ReserveRequest.js';
import type { ReserveResponse as _racelab_inventory_v1_ReserveResponse, ReserveResponse__Output as _racelab_inventory_v1_ReserveResponse__Output } from './racelab/inventory/v1/ReserveResponse.js';
import type { StockRequest as _racelab_inventory_v1_StockRequest, StockRequest__Output as _racelab_inventory_v1_StockRequest__Output } from './racelab/inventory/v1/StockRequest.js';
import type { StockResponse as _racelab_inventory_v1_StockResponse, StockResponse__Output as _racelab_inventory_v1_StockResponse__Output } from './racelab/inventory/v1/StockResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  racelab: {
    inventory: {
      v1: {
        AddSkuRequest: MessageTypeDefinition<_racelab_inventory_v1_AddSkuRequest, _racelab_inventory_v1_AddSkuRequest__Output>
        Inventory: SubtypeConstructor<typeof grpc.Client, _racelab_inventory_v1_InventoryClient> & { service: _racelab_inventory_v1_InventoryDefinition }
        ReserveRequest: MessageTypeDefinition<_racelab_inventory_v1_ReserveRequest, _racelab_inventory_v1_ReserveRequest__Output>
        ReserveResponse: MessageTypeDefinition<_racelab_inventory_v1_ReserveResponse, _racelab_inventory_v1_ReserveResponse__Output>
        StockRequest: MessageTypeDefinition<_racelab_inventory_v1_StockRequest, _racelab_inventory_v1_StockRequest__Output>
        StockResponse: MessageTypeDefinition<_racelab_inventory_v1_StockResponse, _racelab_inventory_v1_StockResponse__Output>
      }
    }
  }
}

