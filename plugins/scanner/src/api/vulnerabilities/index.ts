import type { Provider } from '@nestjs/common';

/*
 * The vulnerability read queries (per image, per package, counts, advisory lookup, which images
 * hold an advisory) live in this folder and register their Nest providers (resolvers, services,
 * loaders) here; the scanner API module imports this list and nothing else from the folder.
 */
export const vulnerabilityApiProviders: Provider[] = [];
