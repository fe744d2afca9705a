import type { Analyzer, PackageResult } from '@bulkhead/plugin-sdk';
import { skipUnreadable } from '../golang/skip-unreadable';
import { composerPackageResults, parseComposerLock, parseInstalledJson } from './composer';

export { parseComposerLock, parseInstalledJson, type ComposerPackage } from './composer';

const INSTALLED = 'vendor/composer/installed.json';

/**
 * composer.lock and Composer's record of what it installed (vendor/composer/installed.json).
 * Development packages of a lockfile (`packages-dev`) are left out, as Trivy leaves them out of
 * its results by default: `composer install --no-dev` does not install them, and what was
 * installed shows in installed.json, where every package is reported (dev ones marked).
 */
export const composerAnalyzer: Analyzer = {
  id: 'composer',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: 32 * 1024 * 1024,
  wants: (path) => path === 'composer.lock' || path.endsWith('/composer.lock') || path === INSTALLED || path.endsWith(`/${INSTALLED}`),
  analyze(files) {
    const packages: PackageResult[] = [];
    for (const file of files) {
      skipUnreadable(() => {
        const text = file.content.toString('utf8');
        if (file.path.endsWith('composer.lock')) packages.push(...composerPackageResults(parseComposerLock(text, file.path).filter((p) => !p.dev), file, 'composer.lock'));
        else packages.push(...composerPackageResults(parseInstalledJson(text, file.path), file, 'installed.json'));
      });
    }
    return { packages };
  },
};
