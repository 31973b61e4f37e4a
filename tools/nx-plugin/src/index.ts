export { serviceGenerator } from './generators/service/generator';
export type { ServiceGeneratorOptions } from './generators/service/schema';
export { clientGenerator } from './generators/client/generator';
export type { ClientGeneratorOptions } from './generators/client/schema';
export { GeneratorError, isGeneratorError } from './internal/generator-error';
export type { GeneratorErrorCode } from './internal/generator-error';
