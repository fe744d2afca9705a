export * from './read-sbom';
