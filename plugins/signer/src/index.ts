export { default, signerPlugin } from './plugin';
