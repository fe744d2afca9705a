export { pluginGenerator } from './plugin-generator/generator';
