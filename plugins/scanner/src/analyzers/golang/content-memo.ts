import type { AnalyzerFile } from '@bulkhead/plugin-sdk';

/**
 * Remembers what parsing a file gave, keyed by the file's bytes (the Buffer object) and path.
 * The scanner runs package analyzers once per layer that changed any wanted file, each time on
 * every wanted file as it stands, and an unchanged file keeps its Buffer across those calls:
 * without this, an image of ten layers would unzip every jar and read every program ten times.
 * Entries go when the scanner drops the Buffer (WeakMap). Callers build fresh results from the
 * remembered value: the scanner mutates PackageResults (layer attribution).
 */
export class ContentMemo<T> {
  private readonly byContent = new WeakMap<Buffer, Map<string, T>>();

  get(file: AnalyzerFile): T | undefined {
    return this.byContent.get(file.content)?.get(file.path);
  }

  set(file: AnalyzerFile, value: T): T {
    let byPath = this.byContent.get(file.content);
    if (!byPath) {
      byPath = new Map();
      this.byContent.set(file.content, byPath);
    }
    byPath.set(file.path, value);
    return value;
  }
}
