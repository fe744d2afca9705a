import { buildTinyImage, TINY_IMAGE_VARIABLE } from './tiny-image';

/**
 * Jest global setup (jest.config.cjs): builds the tiny test image once per run, in the Jest
 * process, and names its folder in the environment that the test workers inherit, so that
 * `testImages()` can hand it to test files synchronously.
 */
export default async function globalSetup(): Promise<void> {
  process.env[TINY_IMAGE_VARIABLE] = await buildTinyImage();
}
