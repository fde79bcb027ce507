/**
 * Child process for the backend-parity test: loads a saved model on the backend named
 * in argv, attacks the first n MNIST test points, and prints one JSON line of robust
 * accuracies. One process per backend, since tfjs keeps one backend per process.
 */
import { initBackend, type BackendChoice } from '../../src/node/backend.js';
import { evaluateAttacks } from '../../src/attacks/evaluate.js';
import type { AttackSpecInput } from '../../src/attacks/index.js';
import { loadMnist } from '../../src/node/mnist.js';
import { loadModel } from '../../src/node/model-files.js';

const [backend, modelJson, n, specsJson] = process.argv.slice(2) as [BackendChoice, string, string, string];
const info = await initBackend(backend);
const model = await loadModel(modelJson);
const data = loadMnist({ trainSize: 1, testSize: Number(n) });
const { rows } = await evaluateAttacks(model, data.test.x, data.test.y, JSON.parse(specsJson) as AttackSpecInput[], undefined, { progress: false, seed: 1 });
console.log(JSON.stringify({ backend: info.name, rows: rows.map((r) => ({ attack: r.attack, eps: r.eps, robustAcc: r.robustAcc, seconds: r.seconds })) }));
