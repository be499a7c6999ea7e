export * from './optim.js';
export * from './schedulers.js';
export * from './losses.js';
