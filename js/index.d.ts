export * from './siyu.js';
export { default } from './siyu.js';
export * from './sync.js';
