import { definePluginCli } from '@bulkhead/plugin-sdk/cli';
import { gateCommand } from '../gate/cli/gate-command';

// `@bulkhead/plugin-signer/cli`: the signer plugin's `bulkhead` commands. Each loads its modules
// only when it runs.
export const cli = definePluginCli({ commands: [gateCommand] });

export default cli;
