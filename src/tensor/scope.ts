// Scoped cleanup in the style of TF.js tidy/keep: every tensor created inside tidy(fn) is disposed when fn
// returns, except the tensors fn returns (handed to the enclosing scope) and tensors marked keep().
// Training loops wrap a step in tidy so intermediates never accumulate.
import type { Tensor } from './tensor.js';

const scopes: Set<Tensor>[] = [];

export function track(t: Tensor): void {
  if (scopes.length) scopes[scopes.length - 1].add(t);
}

export function untrack(t: Tensor): void {
  for (const s of scopes) s.delete(t);
}

/** Brand carried by every Tensor, so this file can recognise one without importing the class (no cycle). */
export const TENSOR_BRAND: unique symbol = Symbol('quantscope.tensor');

function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && TENSOR_BRAND in v;
}

function collect(value: unknown, into: Set<Tensor>, depth = 0): void {
  if (isTensor(value)) {
    into.add(value);
    return;
  }
  if (depth > 3 || value === null || typeof value !== 'object') return;
  for (const v of Array.isArray(value) ? value : Object.values(value)) collect(v, into, depth + 1);
}

export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) if (!t.kept) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) throw new Error('tidy(fn): fn must be synchronous (await outside the tidy scope)');
  const returned = new Set<Tensor>();
  collect(result, returned);
  for (const t of scope) {
    if (returned.has(t)) track(t);
    else if (!t.kept) t.dispose();
  }
  return result;
}

/** Exclude a tensor from every scope (parameters, optimizer state, gradients). */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  untrack(t);
  return t;
}
