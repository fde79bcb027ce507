/** The native addon for tests: a skip reason when it is not built, except under CI, which builds it. */
import assert from 'node:assert/strict';
import type { NativeAddon } from '../../src/kernels/native/index.js';
import { loadNative } from '../../src/node/native-addon.js';

const loaded = loadNative();
// CI builds the addon, so there a missing one fails, unless it was switched off on purpose.
const required = Boolean(process.env.CI) && process.env.LIPBENCH_NATIVE !== '0';

/** For `describe(..., { skip: nativeSkip })`: false, or why the addon tests cannot run. */
export const nativeSkip: string | false = loaded.addon || required ? false : `${loaded.why}; build it with \`node native/build.mjs\``;

export function getAddon(): NativeAddon {
  // Under CI a missing addon is a failure, not a skip.
  if (!loaded.addon) assert.fail(`native addon required under CI: ${loaded.why}`);
  return loaded.addon;
}
