// quantscope: platform-neutral entry (browser and Node). Node users call initNode() from './platform/node.js'.
export * from './tensor/index.js';
export { backward, grad } from './autograd/backward.js';
export { noGrad } from './autograd/tape.js';
export { gradcheck } from './autograd/gradcheck.js';
