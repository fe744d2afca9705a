import type { Command } from 'commander';
import { CliError, ExitCode, printNotice, type CliIo } from '../cli-io';

const INSECURE_HELP = 'plain-HTTP registry hosts besides loopback, comma-separated (env BULKHEAD_REGISTRY_INSECURE_HOSTS)';
const CREDENTIALS_HELP =
  '\nCredentials come from the docker-style config: $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json or ~/.docker/config.json (`auths` entries, credHelpers / credsStore). Plain HTTP is used only for loopback hosts and --insecure hosts.';

function insecureHosts(flag: string | undefined): string[] {
  return [flag, process.env['BULKHEAD_REGISTRY_INSECURE_HOSTS']]
    .flatMap((v) => (v ?? '').split(','))
    .map((h) => h.trim())
    .filter(Boolean);
}

/**
 * `bulkhead push` and `bulkhead pull`: copy images between local forms and a registry. The result
 * line is the report (standard output, or --output FILE); each blob copied is a notice on
 * standard error, which --quiet drops.
 */
export function registerRegistryCommands(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command('push')
    .description('push an image (oci:<dir>[:<ref>] or docker-archive:<file>) to a registry')
    .argument('<source>', 'oci:<dir>[:<ref>] or docker-archive:<file>')
    .argument('<registry-ref>', '[registry:]<host>[:port]/<repo>[:<tag>|@<digest>]')
    .option('--insecure <hosts>', INSECURE_HELP)
    .option('--chunk-size <bytes>', 'blobs larger than this are uploaded in chunks (PATCH) of this size (default 16 MiB)')
    .addHelpText('after', CREDENTIALS_HELP)
    .action(async (source: string, target: string, options: { insecure?: string; chunkSize?: string }) => {
      const { RegistryClient, parseRegistryReference, pushImage, formatRegistryReference } = await import('@bulkhead/oci');
      let chunkSize: number | undefined;
      if (options.chunkSize !== undefined) {
        chunkSize = Number(options.chunkSize);
        if (!/^\d+$/.test(options.chunkSize) || chunkSize < 1024) throw new CliError(`--chunk-size ${JSON.stringify(options.chunkSize)}: expected a number of bytes, at least 1024`, ExitCode.usage);
      }
      if (!/^(oci|docker-archive):/.test(source)) throw new CliError(`push: the source must be oci:<dir>[:<ref>] or docker-archive:<file>, not ${JSON.stringify(source)}`, ExitCode.usage);
      const ref = parseRegistryReference(target);
      const client = new RegistryClient({ insecureHosts: insecureHosts(options.insecure) });
      try {
        const pushed = await pushImage(client, source, ref, {
          ...(chunkSize ? { chunkSize } : {}),
          onProgress: (e) => printNotice(io, `${e.kind === 'blob' ? 'blob    ' : 'manifest'} ${e.digest} (${e.size} bytes)`),
        });
        io.out(`${formatRegistryReference({ ...ref, digest: undefined })}@${pushed.digest}`);
        done(ExitCode.ok);
      } finally {
        client.close();
      }
    });

  program
    .command('pull')
    .description('pull an image from a registry into a new OCI image layout (written atomically, blobs and manifests byte-identical)')
    .argument('<registry-ref>', '[registry:]<host>[:port]/<repo>[:<tag>|@<digest>]')
    .argument('<destination>', 'oci:<dir> (a folder that does not exist yet, or is empty)')
    .option('--platform <os/arch[/variant]>', 'the platform to pick from a multi-platform index (default linux/amd64, or the only one)')
    .option('--all-platforms', 'copy the whole index with every platform instead of one')
    .option('--insecure <hosts>', INSECURE_HELP)
    .addHelpText('after', CREDENTIALS_HELP)
    .action(async (source: string, destination: string, options: { platform?: string; allPlatforms?: boolean; insecure?: string }) => {
      if (!destination.startsWith('oci:') || destination.length === 4) throw new CliError(`pull: the destination must be oci:<dir>, not ${JSON.stringify(destination)}`, ExitCode.usage);
      if (options.platform && options.allPlatforms) throw new CliError('pull: give --platform or --all-platforms, not both', ExitCode.usage);
      const { RegistryClient, parseRegistryReference, parsePlatform, pullImage } = await import('@bulkhead/oci');
      let platform;
      try {
        platform = options.platform ? parsePlatform(options.platform) : undefined;
      } catch (error) {
        throw new CliError(`--platform: ${(error as Error).message}`, ExitCode.usage);
      }
      const ref = parseRegistryReference(source);
      const client = new RegistryClient({ insecureHosts: insecureHosts(options.insecure) });
      try {
        const pulled = await pullImage(client, ref, destination.slice('oci:'.length), {
          ...(platform ? { platform } : {}),
          ...(options.allPlatforms ? { allPlatforms: true } : {}),
          onProgress: (e) => printNotice(io, `${e.kind === 'blob' ? 'blob    ' : 'manifest'} ${e.digest} (${e.size} bytes)`),
        });
        io.out(`${pulled.digest} -> oci:${pulled.dir}${ref.tag !== undefined ? `:${ref.tag}` : ''} (${pulled.blobs} blobs, ${pulled.bytes} bytes)`);
        done(ExitCode.ok);
      } finally {
        client.close();
      }
    });
}
