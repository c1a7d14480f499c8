import { RacelabError } from '../../core/errors.js';
import { storeKind } from '../../store/open.js';
import { storeCounterVariants, wrongStore } from './store-variants.js';
import { memoryCounterVariants, type CounterVariant } from './variants.js';

/**
 * Every counter variant, by name: those that run on any store, then those that need PostgreSQL or Redis. One
 * explicit list, as the actor patterns' registry: importing a file registers nothing. A new variant is added
 * here.
 */
export const counterVariants: Readonly<Record<string, CounterVariant>> = Object.freeze({ ...memoryCounterVariants, ...storeCounterVariants });

export function counterVariant(name: string): CounterVariant {
  const v = counterVariants[name];
  if (!v) {
    throw new RacelabError('UNKNOWN_VARIANT', `"${name}" is not a counter variant; use one of ${Object.keys(counterVariants).join(', ')}`, { subject: 'variant' });
  }
  return v;
}

/**
 * Fails fast, before any server or store is opened, when a variant needs another store than `storeSpec`
 * names. Also the place that says a store-specific variant cannot run on the embedded memory store.
 */
export function checkVariantStore(variantName: string, storeSpec: string | undefined): void {
  const variant = counterVariant(variantName);
  const kind = storeKind(storeSpec);
  if (variant.requires && variant.requires !== kind) throw wrongStore(variantName, variant.requires, kind);
}

