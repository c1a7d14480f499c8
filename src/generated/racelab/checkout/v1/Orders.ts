// Original file: proto/checkout.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ChargesRequest as _racelab_checkout_v1_ChargesRequest, ChargesRequest__Output as _racelab_checkout_v1_ChargesRequest__Output } from '../../../racelab/checkout/v1/ChargesRequest.js';
import type { ChargesResponse as _racelab_checkout_v1_ChargesResponse, ChargesResponse__Output as _racelab_checkout_v1_ChargesResponse__Output } from '../../../racelab/checkout/v1/ChargesResponse.js';
import type { CheckoutRequest as _racelab_checkout_v1_CheckoutRequest, CheckoutRequest__Output as _racelab_checkout_v1_CheckoutRequest__Output } from '../../../racelab/checkout/v1/CheckoutRequest.js';
import type { CheckoutResponse as _racelab_checkout_v1_CheckoutResponse, CheckoutResponse__Output as _racelab_checkout_v1_CheckoutResponse__Output } from '../../../racelab/checkout/v1/CheckoutResponse.js';

export interface OrdersClient extends grpc.Client {
  Charges(argument: _racelab_checkout_v1_ChargesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_checkout_v1_ChargesResponse__Output>): grpc.ClientUnaryCall;
  Charges(argument: _racelab_checkout_v1_ChargesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_checkout_v1_ChargesResponse__Output>): grpc.ClientUnaryCall;
  Charges(argument: _racelab_checkout_v1_ChargesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_checkout_v1_ChargesResponse__Output>): grpc.ClientUnaryCall;
  Charges(argument: _racelab_checkout_v1_ChargesRequest, callback: grpc.requestCallback<_racelab_checkout_v1_ChargesResponse__Output>): grpc.ClientUnaryCall;
  charges(argument: _racelab_checkout_v1_ChargesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_checkout_v1_ChargesResponse__Output>): grpc.ClientUnaryCall;
  charges(argument: _racelab_checkout_v1_ChargesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_checkout_v1_ChargesResponse__Output>): grpc.ClientUnaryCall;
  charges(argument: _racelab_checkout_v1_ChargesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_checkout_v1_ChargesResponse__Output>): grpc.ClientUnaryCall;
  charges(argument: _racelab_checkout_v1_ChargesRequest, callback: grpc.requestCallback<_racelab_checkout_v1_ChargesResponse__Output>): grpc.ClientUnaryCall;
  
  Checkout(argument: _racelab_checkout_v1_CheckoutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_checkout_v1_CheckoutResponse__Output>): grpc.ClientUnaryCall;
  Checkout(argument: _racelab_checkout_v1_CheckoutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_checkout_v1_CheckoutResponse__Output>): grpc.ClientUnaryCall;
  Checkout(argument: _racelab_checkout_v1_CheckoutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_checkout_v1_CheckoutResponse__Output>): grpc.ClientUnaryCall;
  Checkout(argument: _racelab_checkout_v1_CheckoutRequest, callback: grpc.requestCallback<_racelab_checkout_v1_CheckoutResponse__Output>): grpc.ClientUnaryCall;
  checkout(argument: _racelab_checkout_v1_CheckoutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_checkout_v1_CheckoutResponse__Output>): grpc.ClientUnaryCall;
  checkout(argument: _racelab_checkout_v1_CheckoutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_checkout_v1_CheckoutResponse__Output>): grpc.ClientUnaryCall;
  checkout(argument: _racelab_checkout_v1_CheckoutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_checkout_v1_CheckoutResponse__Output>): grpc.ClientUnaryCall;
  checkout(argument: _racelab_checkout_v1_CheckoutRequest, callback: grpc.requestCallback<_racelab_checkout_v1_CheckoutResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface OrdersHandlers extends grpc.UntypedServiceImplementation {
  Charges: grpc.handleUnaryCall<_racelab_checkout_v1_ChargesRequest__Output, _racelab_checkout_v1_ChargesResponse>;
  
  Checkout: grpc.handleUnaryCall<_racelab_checkout_v1_CheckoutRequest__Output, _racelab_checkout_v1_CheckoutResponse>;
  
}

export interface OrdersDefinition extends grpc.ServiceDefinition {
  Charges: MethodDefinition<_racelab_checkout_v1_ChargesRequest, _racelab_checkout_v1_ChargesResponse, _racelab_checkout_v1_ChargesRequest__Output, _racelab_checkout_v1_ChargesResponse__Output>
  Checkout: MethodDefinition<_racelab_checkout_v1_CheckoutRequest, _racelab_checkout_v1_CheckoutResponse, _racelab_checkout_v1_CheckoutRequest__Output, _racelab_checkout_v1_CheckoutResponse__Output>
}
