// Original file: proto/privilege.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AdminActionResponse as _racelab_privilege_v1_AdminActionResponse, AdminActionResponse__Output as _racelab_privilege_v1_AdminActionResponse__Output } from '../../../racelab/privilege/v1/AdminActionResponse.js';
import type { AuditResponse as _racelab_privilege_v1_AuditResponse, AuditResponse__Output as _racelab_privilege_v1_AuditResponse__Output } from '../../../racelab/privilege/v1/AuditResponse.js';
import type { UserRequest as _racelab_privilege_v1_UserRequest, UserRequest__Output as _racelab_privilege_v1_UserRequest__Output } from '../../../racelab/privilege/v1/UserRequest.js';

export interface PrivilegesClient extends grpc.Client {
  AdminAction(argument: _racelab_privilege_v1_UserRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_privilege_v1_AdminActionResponse__Output>): grpc.ClientUnaryCall;
  AdminAction(argument: _racelab_privilege_v1_UserRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_privilege_v1_AdminActionResponse__Output>): grpc.ClientUnaryCall;
  AdminAction(argument: _racelab_privilege_v1_UserRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_privilege_v1_AdminActionResponse__Output>): grpc.ClientUnaryCall;
  AdminAction(argument: _racelab_privilege_v1_UserRequest, callback: grpc.requestCallback<_racelab_privilege_v1_AdminActionResponse__Output>): grpc.ClientUnaryCall;
  adminAction(argument: _racelab_privilege_v1_UserRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_privilege_v1_AdminActionResponse__Output>): grpc.ClientUnaryCall;
  adminAction(argument: _racelab_privilege_v1_UserRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_privilege_v1_AdminActionResponse__Output>): grpc.ClientUnaryCall;
  adminAction(argument: _racelab_privilege_v1_UserRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_privilege_v1_AdminActionResponse__Output>): grpc.ClientUnaryCall;
  adminAction(argument: _racelab_privilege_v1_UserRequest, callback: grpc.requestCallback<_racelab_privilege_v1_AdminActionResponse__Output>): grpc.ClientUnaryCall;
  
  Audit(argument: _racelab_privilege_v1_UserRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  Audit(argument: _racelab_privilege_v1_UserRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  Audit(argument: _racelab_privilege_v1_UserRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  Audit(argument: _racelab_privilege_v1_UserRequest, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  audit(argument: _racelab_privilege_v1_UserRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  audit(argument: _racelab_privilege_v1_UserRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  audit(argument: _racelab_privilege_v1_UserRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  audit(argument: _racelab_privilege_v1_UserRequest, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  
  Grant(argument: _racelab_privilege_v1_UserRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  Grant(argument: _racelab_privilege_v1_UserRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  Grant(argument: _racelab_privilege_v1_UserRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  Grant(argument: _racelab_privilege_v1_UserRequest, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  grant(argument: _racelab_privilege_v1_UserRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  grant(argument: _racelab_privilege_v1_UserRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  grant(argument: _racelab_privilege_v1_UserRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  grant(argument: _racelab_privilege_v1_UserRequest, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  
  Revoke(argument: _racelab_privilege_v1_UserRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  Revoke(argument: _racelab_privilege_v1_UserRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  Revoke(argument: _racelab_privilege_v1_UserRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  Revoke(argument: _racelab_privilege_v1_UserRequest, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  revoke(argument: _racelab_privilege_v1_UserRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  revoke(argument: _racelab_privilege_v1_UserRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  revoke(argument: _racelab_privilege_v1_UserRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  revoke(argument: _racelab_privilege_v1_UserRequest, callback: grpc.requestCallback<_racelab_privilege_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface PrivilegesHandlers extends grpc.UntypedServiceImplementation {
  AdminAction: grpc.handleUnaryCall<_racelab_privilege_v1_UserRequest__Output, _racelab_privilege_v1_AdminActionResponse>;
  
  Audit: grpc.handleUnaryCall<_racelab_privilege_v1_UserRequest__Output, _racelab_privilege_v1_AuditResponse>;
  
  Grant: grpc.handleUnaryCall<_racelab_privilege_v1_UserRequest__Output, _racelab_privilege_v1_AuditResponse>;
  
  Revoke: grpc.handleUnaryCall<_racelab_privilege_v1_UserRequest__Output, _racelab_privilege_v1_AuditResponse>;
  
}

export interface PrivilegesDefinition extends grpc.ServiceDefinition {
  AdminAction: MethodDefinition<_racelab_privilege_v1_UserRequest, _racelab_privilege_v1_AdminActionResponse, _racelab_privilege_v1_UserRequest__Output, _racelab_privilege_v1_AdminActionResponse__Output>
  Audit: MethodDefinition<_racelab_privilege_v1_UserRequest, _racelab_privilege_v1_AuditResponse, _racelab_privilege_v1_UserRequest__Output, _racelab_privilege_v1_AuditResponse__Output>
  Grant: MethodDefinition<_racelab_privilege_v1_UserRequest, _racelab_privilege_v1_AuditResponse, _racelab_privilege_v1_UserRequest__Output, _racelab_privilege_v1_AuditResponse__Output>
  Revoke: MethodDefinition<_racelab_privilege_v1_UserRequest, _racelab_privilege_v1_AuditResponse, _racelab_privilege_v1_UserRequest__Output, _racelab_privilege_v1_AuditResponse__Output>
}
