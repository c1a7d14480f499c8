// Original file: proto/inventory.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddSkuRequest as _racelab_inventory_v1_AddSkuRequest, AddSkuRequest__Output as _racelab_inventory_v1_AddSkuRequest__Output } from '../../../racelab/inventory/v1/AddSkuRequest.js';
import type { ReserveRequest as _racelab_inventory_v1_ReserveRequest, ReserveRequest__Output as _racelab_inventory_v1_ReserveRequest__Output } from '../../../racelab/inventory/v1/ReserveRequest.js';
import type { ReserveResponse as _racelab_inventory_v1_ReserveResponse, ReserveResponse__Output as _racelab_inventory_v1_ReserveResponse__Output } from '../../../racelab/inventory/v1/ReserveResponse.js';
import type { StockRequest as _racelab_inventory_v1_StockRequest, StockRequest__Output as _racelab_inventory_v1_StockRequest__Output } from '../../../racelab/inventory/v1/StockRequest.js';
import type { StockResponse as _racelab_inventory_v1_StockResponse, StockResponse__Output as _racelab_inventory_v1_StockResponse__Output } from '../../../racelab/inventory/v1/StockResponse.js';

export interface InventoryClient extends grpc.Client {
  AddSku(argument: _racelab_inventory_v1_AddSkuRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_inventory_v1_StockResponse__Output>): grpc.ClientUnaryCall;
  AddSku(argument: _racelab_inventory_v1_AddSkuRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_inventory_v1_StockResponse__Output>): grpc.ClientUnaryCall;
  AddSku(argument: _racelab_inventory_v1_AddSkuRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_inventory_v1_StockResponse__Output>): grpc.ClientUnaryCall;
  AddSku(argument: _racelab_inventory_v1_AddSkuRequest, callback: grpc.requestCallback<_racelab_inventory_v1_StockResponse__Output>): grpc.ClientUnaryCall;
  addSku(argument: _racelab_inventory_v1_AddSkuRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_inventory_v1_StockResponse__Output>): grpc.ClientUnaryCall;
  addSku(argument: _racelab_inventory_v1_AddSkuRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_inventory_v1_StockResponse__Output>): grpc.ClientUnaryCall;
  addSku(argument: _racelab_inventory_v1_AddSkuRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_inventory_v1_StockResponse__Output>): grpc.ClientUnaryCall;
  addSku(argument: _racelab_inventory_v1_AddSkuRequest, callback: grpc.requestCallback<_racelab_inventory_v1_StockResponse__Output>): grpc.ClientUnaryCall;
  
  Reserve(argument: _racelab_inventory_v1_ReserveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_inventory_v1_ReserveResponse__Output>): grpc.ClientUnaryCall;
  Reserve(argument: _racelab_inventory_v1_ReserveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_inventory_v1_ReserveResponse__Output>): grpc.ClientUnaryCall;
  Reserve(argument: _racelab_inventory_v1_ReserveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_inventory_v1_ReserveResponse__Output>): grpc.ClientUnaryCall;
  Reserve(argument: _racelab_inventory_v1_ReserveRequest, callback: grpc.requestCallback<_racelab_inventory_v1_ReserveResponse__Output>): grpc.ClientUnaryCall;
  reserve(argument: _racelab_inventory_v1_ReserveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_inventory_v1_ReserveResponse__Output>): grpc.ClientUnaryCall;
  reserve(argument: _racelab_inventory_v1_ReserveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_inventory_v1_ReserveResponse__Output>): grpc.ClientUnaryCall;
  reserve(argument: _racelab_inventory_v1_ReserveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_inventory_v1_ReserveResponse__Output>): grpc.ClientUnaryCall;
  reserve(argument: _racelab_inventory_v1_ReserveRequest, callback: grpc.requestCallback<_racelab_inventory_v1_ReserveResponse__Output>): grpc.ClientUnaryCall;
  
  Stock(argument: _racelab_inventory_v1_StockRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_inventory_v1_StockResponse__Output>): grpc.ClientUnaryCall;
  Stock(argument: _racelab_inventory_v1_StockRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_inventory_v1_StockResponse__Output>): grpc.ClientUnaryCall;
  Stock(argument: _racelab_inventory_v1_StockRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_inventory_v1_StockResponse__Output>): grpc.ClientUnaryCall;
  Stock(argument: _racelab_inventory_v1_StockRequest, callback: grpc.requestCallback<_racelab_inventory_v1_StockResponse__Output>): grpc.ClientUnaryCall;
  stock(argument: _racelab_inventory_v1_StockRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_inventory_v1_StockResponse__Output>): grpc.ClientUnaryCall;
  stock(argument: _racelab_inventory_v1_StockRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_inventory_v1_StockResponse__Output>): grpc.ClientUnaryCall;
  stock(argument: _racelab_inventory_v1_StockRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_inventory_v1_StockResponse__Output>): grpc.ClientUnaryCall;
  stock(argument: _racelab_inventory_v1_StockRequest, callback: grpc.requestCallback<_racelab_inventory_v1_StockResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface InventoryHandlers extends grpc.UntypedServiceImplementation {
  AddSku: grpc.handleUnaryCall<_racelab_inventory_v1_AddSkuRequest__Output, _racelab_inventory_v1_StockResponse>;
  
  Reserve: grpc.handleUnaryCall<_racelab_inventory_v1_ReserveRequest__Output, _racelab_inventory_v1_ReserveResponse>;
  
  Stock: grpc.handleUnaryCall<_racelab_inventory_v1_StockRequest__Output, _racelab_inventory_v1_StockResponse>;
  
}

export interface InventoryDefinition extends grpc.ServiceDefinition {
  AddSku: MethodDefinition<_racelab_inventory_v1_AddSkuRequest, _racelab_inventory_v1_StockResponse, _racelab_inventory_v1_AddSkuRequest__Output, _racelab_inventory_v1_StockResponse__Output>
  Reserve: MethodDefinition<_racelab_inventory_v1_ReserveRequest, _racelab_inventory_v1_ReserveResponse, _racelab_inventory_v1_ReserveRequest__Output, _racelab_inventory_v1_ReserveResponse__Output>
  Stock: MethodDefinition<_racelab_inventory_v1_StockRequest, _racelab_inventory_v1_StockResponse, _racelab_inventory_v1_StockRequest__Output, _racelab_inventory_v1_StockResponse__Output>
}
