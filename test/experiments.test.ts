import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listExperiments, loadExperiment } from '../src/config/load.js';

test('every shipped experiment validates and expands into runs with unique ids', async () => {
  const names = listExperiments();
  assert.ok(names.includes('mnist-quick'));
  for (const name of names) {
    // WGAN experiments have their own schema and runner (src/wgan).
    if (name.includes('wgan')) continue;
    const { config, runs } = await loadExperiment(name);
    assert.equal(config.name, name, `${name}: config.name must match the file name`);
    assert.ok(runs.length > 0);
    assert.equal(new Set(runs.map((r) => r.runId)).size, runs.length);
    if (config.quick) {
      const q = await loadExperiment(name, { quick: true });
      assert.equal(q.config.name, `${name}-quick`);
      assert.equal(q.runs.length, runs.length, 'quick runs the same grid');
    }
  }
});
