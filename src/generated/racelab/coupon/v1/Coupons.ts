// Original file: proto/coupon.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { IssueRequest as _racelab_coupon_v1_IssueRequest, IssueRequest__Output as _racelab_coupon_v1_IssueRequest__Output } from '../../../racelab/coupon/v1/IssueRequest.js';
import type { RedeemRequest as _racelab_coupon_v1_RedeemRequest, RedeemRequest__Output as _racelab_coupon_v1_RedeemRequest__Output } from '../../../racelab/coupon/v1/RedeemRequest.js';
import type { RedeemResponse as _racelab_coupon_v1_RedeemResponse, RedeemResponse__Output as _racelab_coupon_v1_RedeemResponse__Output } from '../../../racelab/coupon/v1/RedeemResponse.js';
import type { StatusRequest as _racelab_coupon_v1_StatusRequest, StatusRequest__Output as _racelab_coupon_v1_StatusRequest__Output } from '../../../racelab/coupon/v1/StatusRequest.js';
import type { StatusResponse as _racelab_coupon_v1_StatusResponse, StatusResponse__Output as _racelab_coupon_v1_StatusResponse__Output } from '../../../racelab/coupon/v1/StatusResponse.js';

export interface CouponsClient extends grpc.Client {
  Issue(argument: _racelab_coupon_v1_IssueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_coupon_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Issue(argument: _racelab_coupon_v1_IssueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_coupon_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Issue(argument: _racelab_coupon_v1_IssueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_coupon_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Issue(argument: _racelab_coupon_v1_IssueRequest, callback: grpc.requestCallback<_racelab_coupon_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  issue(argument: _racelab_coupon_v1_IssueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_coupon_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  issue(argument: _racelab_coupon_v1_IssueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_coupon_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  issue(argument: _racelab_coupon_v1_IssueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_coupon_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  issue(argument: _racelab_coupon_v1_IssueRequest, callback: grpc.requestCallback<_racelab_coupon_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  
  Redeem(argument: _racelab_coupon_v1_RedeemRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_coupon_v1_RedeemResponse__Output>): grpc.ClientUnaryCall;
  Redeem(argument: _racelab_coupon_v1_RedeemRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_coupon_v1_RedeemResponse__Output>): grpc.ClientUnaryCall;
  Redeem(argument: _racelab_coupon_v1_RedeemRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_coupon_v1_RedeemResponse__Output>): grpc.ClientUnaryCall;
  Redeem(argument: _racelab_coupon_v1_RedeemRequest, callback: grpc.requestCallback<_racelab_coupon_v1_RedeemResponse__Output>): grpc.ClientUnaryCall;
  redeem(argument: _racelab_coupon_v1_RedeemRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_coupon_v1_RedeemResponse__Output>): grpc.ClientUnaryCall;
  redeem(argument: _racelab_coupon_v1_RedeemRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_coupon_v1_RedeemResponse__Output>): grpc.ClientUnaryCall;
  redeem(argument: _racelab_coupon_v1_RedeemRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_coupon_v1_RedeemResponse__Output>): grpc.ClientUnaryCall;
  redeem(argument: _racelab_coupon_v1_RedeemRequest, callback: grpc.requestCallback<_racelab_coupon_v1_RedeemResponse__Output>): grpc.ClientUnaryCall;
  
  Status(argument: _racelab_coupon_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_coupon_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _racelab_coupon_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_coupon_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _racelab_coupon_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_coupon_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _racelab_coupon_v1_StatusRequest, callback: grpc.requestCallback<_racelab_coupon_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _racelab_coupon_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_coupon_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _racelab_coupon_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_coupon_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _racelab_coupon_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_coupon_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _racelab_coupon_v1_StatusRequest, callback: grpc.requestCallback<_racelab_coupon_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface CouponsHandlers extends grpc.UntypedServiceImplementation {
  Issue: grpc.handleUnaryCall<_racelab_coupon_v1_IssueRequest__Output, _racelab_coupon_v1_StatusResponse>;
  
  Redeem: grpc.handleUnaryCall<_racelab_coupon_v1_RedeemRequest__Output, _racelab_coupon_v1_RedeemResponse>;
  
  Status: grpc.handleUnaryCall<_racelab_coupon_v1_StatusRequest__Output, _racelab_coupon_v1_StatusResponse>;
  
}

export interface CouponsDefinition extends grpc.ServiceDefinition {
  Issue: MethodDefinition<_racelab_coupon_v1_IssueRequest, _racelab_coupon_v1_StatusResponse, _racelab_coupon_v1_IssueRequest__Output, _racelab_coupon_v1_StatusResponse__Output>
  Redeem: MethodDefinition<_racelab_coupon_v1_RedeemRequest, _racelab_coupon_v1_RedeemResponse, _racelab_coupon_v1_RedeemRequest__Output, _racelab_coupon_v1_RedeemResponse__Output>
  Status: MethodDefinition<_racelab_coupon_v1_StatusRequest, _racelab_coupon_v1_StatusResponse, _racelab_coupon_v1_StatusRequest__Output, _racelab_coupon_v1_StatusResponse__Output>
}
