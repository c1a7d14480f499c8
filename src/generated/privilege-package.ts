import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdminActionResponse as _racelab_privilege_v1_AdminActionResponse, AdminActionResponse__Output as _racelab_privilege_v1_AdminActionResponse__Output } from './racelab/privilege/v1/AdminActionResponse.js';
import type { AuditResponse as _racelab_privilege_v1_AuditResponse, AuditResponse__Output as _racelab_privilege_v1_AuditResponse__Output } from './racelab/privilege/v1/AuditResponse.js';
import type { PrivilegesClient as _racelab_privilege_v1_PrivilegesClient, PrivilegesDefinition as _racelab_privilege_v1_PrivilegesDefinition } from './racelab/privilege/v1/Privileges.js';
import type { UserRequest as _racelab_privilege_v1_UserRequest, UserRequest__Output as _racelab_privilege_v1_UserRequest__Output } from './racelab/privilege/v1/UserRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  racelab: {
    privilege: {
      v1: {
        AdminActionResponse: MessageTypeDefinition<_racelab_privilege_v1_AdminActionResponse, _racelab_privilege_v1_AdminActionResponse__Output>
        AuditResponse: MessageTypeDefinition<_racelab_privilege_v1_AuditResponse, _racelab_privilege_v1_AuditResponse__Output>
        Privileges: SubtypeConstructor<typeof grpc.Client, _racelab_privilege_v1_PrivilegesClient> & { service: _racelab_privilege_v1_PrivilegesDefinition }
        UserRequest: MessageTypeDefinition<_racelab_privilege_v1_UserRequest, _racelab_privilege_v1_UserRequest__Output>
      }
    }
  }
}

