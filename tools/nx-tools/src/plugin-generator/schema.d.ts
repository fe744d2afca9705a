export interface PluginGeneratorSchema {
  name: string;
  kind: 'scanner' | 'signer' | 'benchmark' | 'runtime';
  phases: string;
  description?: string;
}
