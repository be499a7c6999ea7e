import './formats/index.js';
export * from './format.js';
export * from './fakequant.js';
export * from './similarity.js';
export { intFormat } from './formats/int.js';
export { potFormat } from './formats/pot.js';
export { floatFormat } from './formats/float.js';
export { ocpFormat } from './formats/ocp.js';
export { mxint8 } from './formats/mx.js';
