// Original file: proto/bank.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AuditRequest as _racelab_bank_v1_AuditRequest, AuditRequest__Output as _racelab_bank_v1_AuditRequest__Output } from '../../../racelab/bank/v1/AuditRequest.js';
import type { AuditResponse as _racelab_bank_v1_AuditResponse, AuditResponse__Output as _racelab_bank_v1_AuditResponse__Output } from '../../../racelab/bank/v1/AuditResponse.js';
import type { BalanceRequest as _racelab_bank_v1_BalanceRequest, BalanceRequest__Output as _racelab_bank_v1_BalanceRequest__Output } from '../../../racelab/bank/v1/BalanceRequest.js';
import type { BalanceResponse as _racelab_bank_v1_BalanceResponse, BalanceResponse__Output as _racelab_bank_v1_BalanceResponse__Output } from '../../../racelab/bank/v1/BalanceResponse.js';
import type { TransferRequest as _racelab_bank_v1_TransferRequest, TransferRequest__Output as _racelab_bank_v1_TransferRequest__Output } from '../../../racelab/bank/v1/TransferRequest.js';
import type { TransferResponse as _racelab_bank_v1_TransferResponse, TransferResponse__Output as _racelab_bank_v1_TransferResponse__Output } from '../../../racelab/bank/v1/TransferResponse.js';
import type { WithdrawRequest as _racelab_bank_v1_WithdrawRequest, WithdrawRequest__Output as _racelab_bank_v1_WithdrawRequest__Output } from '../../../racelab/bank/v1/WithdrawRequest.js';
import type { WithdrawResponse as _racelab_bank_v1_WithdrawResponse, WithdrawResponse__Output as _racelab_bank_v1_WithdrawResponse__Output } from '../../../racelab/bank/v1/WithdrawResponse.js';

export interface BankClient extends grpc.Client {
  Audit(argument: _racelab_bank_v1_AuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_bank_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  Audit(argument: _racelab_bank_v1_AuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_bank_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  Audit(argument: _racelab_bank_v1_AuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_bank_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  Audit(argument: _racelab_bank_v1_AuditRequest, callback: grpc.requestCallback<_racelab_bank_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  audit(argument: _racelab_bank_v1_AuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_bank_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  audit(argument: _racelab_bank_v1_AuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_bank_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  audit(argument: _racelab_bank_v1_AuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_bank_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  audit(argument: _racelab_bank_v1_AuditRequest, callback: grpc.requestCallback<_racelab_bank_v1_AuditResponse__Output>): grpc.ClientUnaryCall;
  
  Balance(argument: _racelab_bank_v1_BalanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_bank_v1_BalanceResponse__Output>): grpc.ClientUnaryCall;
  Balance(argument: _racelab_bank_v1_BalanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_bank_v1_BalanceResponse__Output>): grpc.ClientUnaryCall;
  Balance(argument: _racelab_bank_v1_BalanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_bank_v1_BalanceResponse__Output>): grpc.ClientUnaryCall;
  Balance(argument: _racelab_bank_v1_BalanceRequest, callback: grpc.requestCallback<_racelab_bank_v1_BalanceResponse__Output>): grpc.ClientUnaryCall;
  balance(argument: _racelab_bank_v1_BalanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_bank_v1_BalanceResponse__Output>): grpc.ClientUnaryCall;
  balance(argument: _racelab_bank_v1_BalanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_bank_v1_BalanceResponse__Output>): grpc.ClientUnaryCall;
  balance(argument: _racelab_bank_v1_BalanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_bank_v1_BalanceResponse__Output>): grpc.ClientUnaryCall;
  balance(argument: _racelab_bank_v1_BalanceRequest, callback: grpc.requestCallback<_racelab_bank_v1_BalanceResponse__Output>): grpc.ClientUnaryCall;
  
  Transfer(argument: _racelab_bank_v1_TransferRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_bank_v1_TransferResponse__Output>): grpc.ClientUnaryCall;
  Transfer(argument: _racelab_bank_v1_TransferRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_bank_v1_TransferResponse__Output>): grpc.ClientUnaryCall;
  Transfer(argument: _racelab_bank_v1_TransferRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_bank_v1_TransferResponse__Output>): grpc.ClientUnaryCall;
  Transfer(argument: _racelab_bank_v1_TransferRequest, callback: grpc.requestCallback<_racelab_bank_v1_TransferResponse__Output>): grpc.ClientUnaryCall;
  transfer(argument: _racelab_bank_v1_TransferRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_bank_v1_TransferResponse__Output>): grpc.ClientUnaryCall;
  transfer(argument: _racelab_bank_v1_TransferRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_bank_v1_TransferResponse__Output>): grpc.ClientUnaryCall;
  transfer(argument: _racelab_bank_v1_TransferRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_bank_v1_TransferResponse__Output>): grpc.ClientUnaryCall;
  transfer(argument: _racelab_bank_v1_TransferRequest, callback: grpc.requestCallback<_racelab_bank_v1_TransferResponse__Output>): grpc.ClientUnaryCall;
  
  Withdraw(argument: _racelab_bank_v1_WithdrawRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_bank_v1_WithdrawResponse__Output>): grpc.ClientUnaryCall;
  Withdraw(argument: _racelab_bank_v1_WithdrawRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_bank_v1_WithdrawResponse__Output>): grpc.ClientUnaryCall;
  Withdraw(argument: _racelab_bank_v1_WithdrawRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_bank_v1_WithdrawResponse__Output>): grpc.ClientUnaryCall;
  Withdraw(argument: _racelab_bank_v1_WithdrawRequest, callback: grpc.requestCallback<_racelab_bank_v1_WithdrawResponse__Output>): grpc.ClientUnaryCall;
  withdraw(argument: _racelab_bank_v1_WithdrawRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_bank_v1_WithdrawResponse__Output>): grpc.ClientUnaryCall;
  withdraw(argument: _racelab_bank_v1_WithdrawRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_racelab_bank_v1_WithdrawResponse__Output>): grpc.ClientUnaryCall;
  withdraw(argument: _racelab_bank_v1_WithdrawRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_racelab_bank_v1_WithdrawResponse__Output>): grpc.ClientUnaryCall;
  withdraw(argument: _racelab_bank_v1_WithdrawRequest, callback: grpc.requestCallback<_racelab_bank_v1_WithdrawResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface BankHandlers extends grpc.UntypedServiceImplementation {
  Audit: grpc.handleUnaryCall<_racelab_bank_v1_AuditRequest__Output, _racelab_bank_v1_AuditResponse>;
  
  Balance: grpc.handleUnaryCall<_racelab_bank_v1_BalanceRequest__Output, _racelab_bank_v1_BalanceResponse>;
  
  Transfer: grpc.handleUnaryCall<_racelab_bank_v1_TransferRequest__Output, _racelab_bank_v1_TransferResponse>;
  
  Withdraw: grpc.handleUnaryCall<_racelab_bank_v1_WithdrawRequest__Output, _racelab_bank_v1_WithdrawResponse>;
  
}

export interface BankDefinition extends grpc.ServiceDefinition {
  Audit: MethodDefinition<_racelab_bank_v1_AuditRequest, _racelab_bank_v1_AuditResponse, _racelab_bank_v1_AuditRequest__Output, _racelab_bank_v1_AuditResponse__Output>
  Balance: MethodDefinition<_racelab_bank_v1_BalanceRequest, _racelab_bank_v1_BalanceResponse, _racelab_bank_v1_BalanceRequest__Output, _racelab_bank_v1_BalanceResponse__Output>
  Transfer: MethodDefinition<_racelab_bank_v1_TransferRequest, _racelab_bank_v1_TransferResponse, _racelab_bank_v1_TransferRequest__Output, _racelab_bank_v1_TransferResponse__Output>
  Withdraw: MethodDefinition<_racelab_bank_v1_WithdrawRequest, _racelab_bank_v1_WithdrawResponse, _racelab_bank_v1_WithdrawRequest__Output, _racelab_bank_v1_WithdrawResponse__Output>
}
