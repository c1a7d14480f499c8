import { RacelabError } from '../core/errors.js';
import { bankModel } from './bank-model.js';
import { checkoutModel } from './checkout-model.js';
import { counterModel } from './counter-model.js';
import { couponModel } from './coupon-model.js';
import { inventoryModel } from './inventory-model.js';
import { kvModel } from './kv-model.js';
import type { Model } from './model.js';
import { privilegeModel } from './privilege-model.js';
import { rateLimitModel } from './ratelimit-model.js';
import { registerModel } from './register-model.js';
import { sessionModel } from './session-model.js';

/** The built-in models by the name `racelab check --model` takes. */
export const builtinModels: Readonly<Record<string, () => Model>> = {
  register: () => registerModel() as Model,
  counter: () => counterModel() as unknown as Model,
  kv: () => kvModel() as Model,
  bank: () => bankModel() as unknown as Model,
  coupon: () => couponModel() as unknown as Model,
  inventory: () => inventoryModel() as unknown as Model,
  checkout: () => checkoutModel() as unknown as Model,
  session: () => sessionModel() as unknown as Model,
  privilege: () => privilegeModel() as unknown as Model,
  ratelimit: () => rateLimitModel() as unknown as Model,
};

export const MODEL_NAMES = Object.keys(builtinModels);

export function modelByName(name: string, subject = 'model'): Model {
  const make = builtinModels[name];
  if (!make) throw new RacelabError('UNKNOWN_MODEL', `"${name}" is not a model; use one of ${MODEL_NAMES.join(', ')}`, { subject });
  return make();
}
