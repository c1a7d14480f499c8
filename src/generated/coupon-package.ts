import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CouponsClient as _racelab_coupon_v1_CouponsClient, CouponsDefinition as _racelab_coupon_v1_CouponsDefinition } from './racelab/coupon/v1/Coupons.js';
import type { IssueRequest as _racelab_coupon_v1_IssueRequest, IssueRequest__Output as _racelab_coupon_v1_IssueRequest__Output } from './racelab/coupon/v1/IssueRequest.js';
import type { RedeemRequest as _racelab_coupon_v1_RedeemRequest, RedeemRequest__Output as _racelab_coupon_v1_RedeemRequest__Output } from './racelab/coupon/v1/RedeemRequest.js';
import type { RedeemResponse as _racelab_coupon_v1_RedeemResponse, RedeemResponse__Output as _racelab_coupon_v1_RedeemResponse__Output } from './racelab/coupon/v1/RedeemResponse.js';
import type { StatusRequest as _racelab_coupon_v1_StatusRequest, StatusRequest__Output as _racelab_coupon_v1_StatusRequest__Output } from './racelab/coupon/v1/StatusRequest.js';
import type { StatusResponse as _racelab_coupon_v1_StatusResponse, StatusResponse__Output as _racelab_coupon_v1_StatusResponse__Output } from './racelab/coupon/v1/StatusResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  racelab: {
    coupon: {
      v1: {
        Coupons: SubtypeConstructor<typeof grpc.Client, _racelab_coupon_v1_CouponsClient> & { service: _racelab_coupon_v1_CouponsDefinition }
        IssueRequest: MessageTypeDefinition<_racelab_coupon_v1_IssueRequest, _racelab_coupon_v1_IssueRequest__Output>
        RedeemRequest: MessageTypeDefinition<_racelab_coupon_v1_RedeemRequest, _racelab_coupon_v1_RedeemRequest__Output>
        RedeemResponse: MessageTypeDefinition<_racelab_coupon_v1_RedeemResponse, _racelab_coupon_v1_RedeemResponse__Output>
        StatusRequest: MessageTypeDefinition<_racelab_coupon_v1_StatusRequest, _racelab_coupon_v1_StatusRequest__Output>
        StatusResponse: MessageTypeDefinition<_racelab_coupon_v1_StatusResponse, _racelab_coupon_v1_StatusResponse__Output>
      }
    }
  }
}

