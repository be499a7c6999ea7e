// Public tensor API: functions plus the usual methods on Tensor (x.add(y), x.sum(1), ...).
import { Tensor } from './tensor.js';
import * as ew from './ops/elementwise.js';
import * as red from './ops/reduce-ops.js';
import * as sh from './ops/shape-ops.js';
import * as la from './ops/linalg.js';
import * as nn from './ops/nn-core.js';
import { backward } from '../autograd/backward.js';
import type { Shape } from './shape.js';

export * from './ops/elementwise.js';
export * from './ops/reduce-ops.js';
export * from './ops/shape-ops.js';
export * from './ops/linalg.js';
export * from './ops/nn-core.js';
export * from './ops/creation.js';
export { DTypeError } from './ops/alloc.js';
export { Tensor } from './tensor.js';
export { tidy, keep } from './scope.js';
export { ShapeError } from './shape.js';
export { engine, initEngine, type DType } from '../device/engine.js';

type Axes = number | readonly number[] | undefined;
type Operand = ew.Operand;

declare module './tensor.js' {
  interface Tensor {
    add(o: Operand): Tensor;
    sub(o: Operand): Tensor;
    mul(o: Operand): Tensor;
    div(o: Operand): Tensor;
    pow(o: Operand): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    relu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    sum(axis?: Axes, keepdim?: boolean): Tensor;
    mean(axis?: Axes, keepdim?: boolean): Tensor;
    max(axis?: Axes, keepdim?: boolean): Tensor;
    min(axis?: Axes, keepdim?: boolean): Tensor;
    argmax(axis?: number, keepdim?: boolean): Tensor;
    reshape(shape: Shape): Tensor;
    view(shape: Shape): Tensor;
    permute(perm: number[]): Tensor;
    transpose(a?: number, b?: number): Tensor;
    flatten(start?: number, end?: number): Tensor;
    matmul(o: Tensor): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    backward(gradient?: Tensor): void;
    requiresGrad_(flag?: boolean): Tensor;
  }
}

const P = Tensor.prototype;
P.add = function (o) {
  return ew.add(this, o);
};
P.sub = function (o) {
  return ew.sub(this, o);
};
P.mul = function (o) {
  return ew.mul(this, o);
};
P.div = function (o) {
  return ew.div(this, o);
};
P.pow = function (o) {
  return ew.pow(this, o);
};
P.neg = function () {
  return ew.neg(this);
};
P.exp = function () {
  return ew.exp(this);
};
P.log = function () {
  return ew.log(this);
};
P.sqrt = function () {
  return ew.sqrt(this);
};
P.abs = function () {
  return ew.abs(this);
};
P.relu = function () {
  return ew.relu(this);
};
P.sigmoid = function () {
  return ew.sigmoid(this);
};
P.tanh = function () {
  return ew.tanh(this);
};
P.sum = function (a, k) {
  return red.sum(this, a, k);
};
P.mean = function (a, k) {
  return red.mean(this, a, k);
};
P.max = function (a, k) {
  return red.max(this, a, k);
};
P.min = function (a, k) {
  return red.min(this, a, k);
};
P.argmax = function (a, k) {
  return red.argmax(this, a, k);
};
P.reshape = function (s) {
  return sh.reshape(this, s);
};
P.view = function (s) {
  return sh.reshape(this, s);
};
P.permute = function (p) {
  return sh.permute(this, p);
};
P.transpose = function (a, b) {
  return sh.transpose(this, a, b);
};
P.flatten = function (s, e) {
  return sh.flatten(this, s, e);
};
P.matmul = function (o) {
  return la.matmul(this, o);
};
P.softmax = function (a) {
  return nn.softmax(this, a);
};
P.logSoftmax = function (a) {
  return nn.logSoftmax(this, a);
};
P.backward = function (g) {
  backward(this, g);
};
P.requiresGrad_ = function (flag = true) {
  this.requiresGrad = flag;
  return this;
};
export * from './ops/cnn.js';
