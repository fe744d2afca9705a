export interface PluginGeneratorSchema {
  name: string;
  kind: 'scanner' | 'signer' | 'benchmark' | 'runtime';
  phases: string;
  /** Your organisation: the plugin id is `<vendor>.<name>`. */
  vendor?: string;
  description?: string;
}
