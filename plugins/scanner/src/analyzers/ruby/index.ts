import type { Analyzer } from '@bulkhead/plugin-sdk';
import { gemPackageResults, parseGemfileLock } from './gemfile-lock';

export { parseGemfileLock, type Gem } from './gemfile-lock';

/**
 * Gemfile.lock files. Installed gems' `specifications/*.gemspec` are not read: a gemspec is
 * Ruby code (`Gem::Specification.new do |s| … end`), which only a Ruby interpreter reads
 * faithfully, and guessing at it with patterns would report versions Ruby would not.
 */
export const bundlerAnalyzer: Analyzer = {
  id: 'bundler',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: 16 * 1024 * 1024,
  wants: (path) => path === 'Gemfile.lock' || path.endsWith('/Gemfile.lock') || path === 'gems.locked' || path.endsWith('/gems.locked'),
  analyze(files) {
    return { packages: files.flatMap((file) => gemPackageResults(parseGemfileLock(file.content.toString('utf8')), file)) };
  },
};
