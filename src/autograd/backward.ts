// Reverse-mode differentiation over the tape. backward() accumulates into .grad of leaf tensors that
// require grad (parameters); grad() returns gradients w.r.t. any tensors, including inputs (PGD, the
// generator). Intermediate gradients are freed as soon as they have been propagated.
import { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/scope.js';
import { add } from '../tensor/ops/elementwise.js';
import { ones } from '../tensor/ops/creation.js';
import { clone } from '../tensor/ops/shape-ops.js';
import { fmt } from '../tensor/shape.js';
import { noGrad } from './tape.js';

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const c = inputs[i];
      if (c.requiresGrad && !seen.has(c)) {
        seen.add(c);
        stack.push([c, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order.reverse(); // root first
}

/** Propagate from `root`; returns the gradients of `targets` (leaves by default). */
function propagate(root: Tensor, seed: Tensor | undefined, targets: Set<Tensor> | null): Map<Tensor, Tensor> {
  if (!root.requiresGrad)
    throw new Error(
      `backward: ${root.describe()} does not require grad (no input requires grad, or it was computed under noGrad)`,
    );
  if (!seed && root.size !== 1)
    throw new Error(`backward: ${root.describe()} is not a scalar; pass a gradient of the same shape`);
  if (seed && seed.shape.join() !== root.shape.join())
    throw new Error(`backward: gradient shape ${fmt(seed.shape)} does not match ${fmt(root.shape)}`);
  return noGrad(() => {
    const grads = new Map<Tensor, Tensor>();
    const result = new Map<Tensor, Tensor>();
    // How many places (grads, result) hold each gradient tensor: rules may pass g through unchanged
    // (add, clone, reshape views share buffers but not Tensor objects), so free only unreferenced ones.
    const refs = new Map<Tensor, number>();
    const hold = (t: Tensor) => refs.set(t, (refs.get(t) ?? 0) + 1);
    const drop = (t: Tensor) => {
      const n = (refs.get(t) ?? 0) - 1;
      if (n > 0) refs.set(t, n);
      else {
        refs.delete(t);
        if (t !== seed) t.dispose();
      }
    };
    const s0 = seed ?? ones(root.shape);
    grads.set(root, s0);
    hold(s0);
    for (const t of topoOrder(root)) {
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      const wanted = targets ? targets.has(t) : !t.node;
      if (wanted) result.set(t, g);
      else if (!t.node) {
        drop(g);
        continue;
      }
      if (t.node) {
        const { op, saved, inputs } = t.node;
        const inputGrads = op.backward(g, saved, inputs, t);
        t.node.inputs.forEach((x, i) => {
          const gi = inputGrads[i];
          if (!gi || !x.requiresGrad) {
            if (gi && gi !== g && !refs.has(gi)) gi.dispose();
            return;
          }
          const prev = grads.get(x);
          if (prev) {
            const total = add(prev, gi);
            grads.set(x, total);
            hold(total);
            drop(prev);
            if (!refs.has(gi) && gi !== g) gi.dispose();
          } else {
            grads.set(x, gi);
            hold(gi);
          }
        });
      }
      if (!wanted) drop(g);
    }
    return result;
  });
}

/** Accumulate d(root)/d(leaf) into leaf.grad for every leaf that requires grad. */
export function backward(root: Tensor, gradient?: Tensor): void {
  const used = new Set<Tensor>();
  for (const [leaf, g0] of propagate(root, gradient, null)) {
    // one gradient tensor may reach two leaves (a + b): each leaf must own its .grad
    const g = used.has(g0) ? noGrad(() => clone(g0)) : g0;
    used.add(g0);
    if (leaf.grad) {
      const sum = noGrad(() => add(leaf.grad as Tensor, g));
      leaf.grad.dispose();
      g.dispose();
      leaf.grad = keep(sum);
    } else leaf.grad = keep(g);
  }
}

/** Gradients of `output` w.r.t. each of `inputs` (zeros-free: an unreachable input throws). */
export function grad(output: Tensor, inputs: Tensor[], gradient?: Tensor): Tensor[] {
  const res = propagate(output, gradient, new Set(inputs));
  return inputs.map((x) => {
    const g = res.get(x);
    if (!g) throw new Error(`grad: output does not depend on ${x.describe()}`);
    return g;
  });
}
