import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CounterClient as _CounterClient, CounterDefinition as _CounterDefinition } from './Counter.js';
import type { GetValueRequest as _GetValueRequest, GetValueRequest__Output as _GetValueRequest__Output } from './GetValueRequest.js';
import type { GetValueResponse as _GetValueResponse, GetValueResponse__Output as _GetValueResponse__Output } from './GetValueResponse.js';
import type { IncrementRequest as _IncrementRequest, IncrementRequest__Output as _IncrementRequest__Output } from './IncrementRequest.js';
import type { IncrementResponse as _IncrementResponse, IncrementResponse__Output as _IncrementResponse__Output } from './IncrementResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  Counter: SubtypeConstructor<typeof grpc.Client, _CounterClient> & { service: _CounterDefinition }
  GetValueRequest: MessageTypeDefinition<_GetValueRequest, _GetValueRequest__Output>
  GetValueResponse: MessageTypeDefinition<_GetValueResponse, _GetValueResponse__Output>
  IncrementRequest: MessageTypeDefinition<_IncrementRequest, _IncrementRequest__Output>
  IncrementResponse: MessageTypeDefinition<_IncrementResponse, _IncrementResponse__Output>
}

