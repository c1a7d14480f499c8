import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AuditRequest as _racelab_bank_v1_AuditRequest, AuditRequest__Output as _racelab_bank_v1_AuditRequest__Output } from './racelab/bank/v1/AuditRequest.js';
import type { AuditResponse as _racelab_bank_v1_AuditResponse, AuditResponse__Output as _racelab_bank_v1_AuditResponse__Output } from './racelab/bank/v1/AuditResponse.js';
import type { BalanceRequest as _racelab_bank_v1_BalanceRequest, BalanceRequest__Output as _racelab_bank_v1_BalanceRequest__Output } from './racelab/bank/v1/BalanceRequest.js';
import type { BalanceResponse as _racelab_bank_v1_BalanceResponse, BalanceResponse__Output as _racelab_bank_v1_BalanceResponse__Output } from './racelab/bank/v1/BalanceResponse.js';
import type { BankClient as _racelab_bank_v1_BankClient, BankDefinition as _racelab_bank_v1_BankDefinition } from './racelab/bank/v1/Bank.js';
import type { TransferRequest as _racelab_bank_v1_TransferRequest, TransferRequest__Output as _racelab_bank_v1_TransferRequest__Output } from './racelab/bank/v1/TransferRequest.js';
import type { TransferResponse as _racelab_bank_v1_TransferResponse, TransferResponse__Output as _racelab_bank_v1_TransferResponse__Output } from './racelab/bank/v1/TransferResponse.js';
import type { WithdrawRequest as _racelab_bank_v1_WithdrawRequest, WithdrawRequest__Output as _racelab_bank_v1_WithdrawRequest__Output } from './racelab/bank/v1/WithdrawRequest.js';
import type { WithdrawResponse as _racelab_bank_v1_WithdrawResponse, WithdrawResponse__Output as _racelab_bank_v1_WithdrawResponse__Output } from './racelab/bank/v1/WithdrawResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  racelab: {
    bank: {
      v1: {
        AuditRequest: MessageTypeDefinition<_racelab_bank_v1_AuditRequest, _racelab_bank_v1_AuditRequest__Output>
        AuditResponse: MessageTypeDefinition<_racelab_bank_v1_AuditResponse, _racelab_bank_v1_AuditResponse__Output>
        BalanceRequest: MessageTypeDefinition<_racelab_bank_v1_BalanceRequest, _racelab_bank_v1_BalanceRequest__Output>
        BalanceResponse: MessageTypeDefinition<_racelab_bank_v1_BalanceResponse, _racelab_bank_v1_BalanceResponse__Output>
        Bank: SubtypeConstructor<typeof grpc.Client, _racelab_bank_v1_BankClient> & { service: _racelab_bank_v1_BankDefinition }
        TransferRequest: MessageTypeDefinition<_racelab_bank_v1_TransferRequest, _racelab_bank_v1_TransferRequest__Output>
        TransferResponse: MessageTypeDefinition<_racelab_bank_v1_TransferResponse, _racelab_bank_v1_TransferResponse__Output>
        WithdrawRequest: MessageTypeDefinition<_racelab_bank_v1_WithdrawRequest, _racelab_bank_v1_WithdrawRequest__Output>
        WithdrawResponse: MessageTypeDefinition<_racelab_bank_v1_WithdrawResponse, _racelab_bank_v1_WithdrawResponse__Output>
      }
    }
  }
}

