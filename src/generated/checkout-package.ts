import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ChargesRequest as _racelab_checkout_v1_ChargesRequest, ChargesRequest__Output as _racelab_checkout_v1_ChargesRequest__Output } from './racelab/checkout/v1/ChargesRequest.js';
import type { ChargesResponse as _racelab_checkout_v1_ChargesResponse, ChargesResponse__Output as _racelab_checkout_v1_ChargesResponse__Output } from './racelab/checkout/v1/ChargesResponse.js';
import type { CheckoutRequest as _racelab_checkout_v1_CheckoutRequest, CheckoutRequest__Output as _racelab_checkout_v1_CheckoutRequest__Output } from './racelab/checkout/v1/CheckoutRequest.js';
import type { CheckoutResponse as _racelab_checkout_v1_CheckoutResponse, CheckoutResponse__Output as _racelab_checkout_v1_CheckoutResponse__Output } from './racelab/checkout/v1/CheckoutResponse.js';
import type { OrdersClient as _racelab_checkout_v1_OrdersClient, OrdersDefinition as _racelab_checkout_v1_OrdersDefinition } from './racelab/checkout/v1/Orders.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  racelab: {
    checkout: {
      v1: {
        ChargesRequest: MessageTypeDefinition<_racelab_checkout_v1_ChargesRequest, _racelab_checkout_v1_ChargesRequest__Output>
        ChargesResponse: MessageTypeDefinition<_racelab_checkout_v1_ChargesResponse, _racelab_checkout_v1_ChargesResponse__Output>
        CheckoutRequest: MessageTypeDefinition<_racelab_checkout_v1_CheckoutRequest, _racelab_checkout_v1_CheckoutRequest__Output>
        CheckoutResponse: MessageTypeDefinition<_racelab_checkout_v1_CheckoutResponse, _racelab_checkout_v1_CheckoutResponse__Output>
        Orders: SubtypeConstructor<typeof grpc.Client, _racelab_checkout_v1_OrdersClient> & { service: _racelab_checkout_v1_OrdersDefinition }
      }
    }
  }
}

