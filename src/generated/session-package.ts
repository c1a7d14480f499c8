import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { EndRequest as _racelab_session_v1_EndRequest, EndRequest__Output as _racelab_session_v1_EndRequest__Output } from './racelab/session/v1/EndRequest.js';
import type { EndResponse as _racelab_session_v1_EndResponse, EndResponse__Output as _racelab_session_v1_EndResponse__Output } from './racelab/session/v1/EndResponse.js';
import type { OpenRequest as _racelab_session_v1_OpenRequest, OpenRequest__Output as _racelab_session_v1_OpenRequest__Output } from './racelab/session/v1/OpenRequest.js';
import type { OpenResponse as _racelab_session_v1_OpenResponse, OpenResponse__Output as _racelab_session_v1_OpenResponse__Output } from './racelab/session/v1/OpenResponse.js';
import type { PoolRequest as _racelab_session_v1_PoolRequest, PoolRequest__Output as _racelab_session_v1_PoolRequest__Output } from './racelab/session/v1/PoolRequest.js';
import type { PoolResponse as _racelab_session_v1_PoolResponse, PoolResponse__Output as _racelab_session_v1_PoolResponse__Output } from './racelab/session/v1/PoolResponse.js';
import type { SessionsClient as _racelab_session_v1_SessionsClient, SessionsDefinition as _racelab_session_v1_SessionsDefinition } from './racelab/session/v1/Sessions.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  racelab: {
    session: {
      v1: {
        EndRequest: MessageTypeDefinition<_racelab_session_v1_EndRequest, _racelab_session_v1_EndRequest__Output>
        EndResponse: MessageTypeDefinition<_racelab_session_v1_EndResponse, _racelab_session_v1_EndResponse__Output>
        OpenRequest: MessageTypeDefinition<_racelab_session_v1_OpenRequest, _racelab_session_v1_OpenRequest__Output>
        OpenResponse: MessageTypeDefinition<_racelab_session_v1_OpenResponse, _racelab_session_v1_OpenResponse__Output>
        PoolRequest: MessageTypeDefinition<_racelab_session_v1_PoolRequest, _racelab_session_v1_PoolRequest__Output>
        PoolResponse: MessageTypeDefinition<_racelab_session_v1_PoolResponse, _racelab_session_v1_PoolResponse__Output>
        Sessions: SubtypeConstructor<typeof grpc.Client, _racelab_session_v1_SessionsClient> & { service: _racelab_session_v1_SessionsDefinition }
      }
    }
  }
}

