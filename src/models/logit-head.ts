/**
 * Attacks and Lipschitz bounds are defined on logits, but most classifiers people save
 * from tfjs and Keras end in a softmax (or sigmoid). Attacking probabilities is wrong
 * twice over: cross-entropy of probabilities has far smaller input gradients on
 * confident points, and the margin losses (CW, DLR) lose their meaning. This module finds
 * the output normalization of a loaded model and gives back the same weights computing
 * the pre-normalization logits; predictions (argmax) are unchanged, since softmax and
 * sigmoid are monotone.
 *
 *   - the last layer's own `activation` is softmax/sigmoid → rebuilt with 'linear';
 *   - a trailing `Activation('softmax'|'sigmoid')` or `Softmax` layer → removed;
 *   - otherwise the model is used as it is, and the note says why.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export type HeadChange = 'none' | 'removed-activation' | 'removed-layer';

export interface LogitModel {
  /** A model whose output is logits (the input model itself when nothing was changed). */
  readonly model: tfl.LayersModel;
  readonly change: HeadChange;
  /** The normalization that was removed ('softmax', 'sigmoid'), if any. */
  readonly removed?: string;
  /** One line for the user: what was done to the model's head. */
  readonly note: string;
}

interface LayerJson {
  class_name: string;
  config: Record<string, unknown> & { name?: string; activation?: unknown };
  inbound_nodes?: unknown[];
  name?: string;
}

interface ModelJson {
  class_name: string;
  config: { name?: string; layers: LayerJson[]; output_layers?: unknown[]; input_layers?: unknown[] } & Record<string, unknown>;
}

const NORMALIZERS = new Set(['softmax', 'sigmoid']);

function activationName(a: unknown): string | undefined {
  if (typeof a === 'string') return a.toLowerCase();
  if (a && typeof a === 'object' && 'class_name' in a) return String((a as { class_name: unknown }).class_name).toLowerCase();
  return undefined;
}

/** The name of the layer that produces the model's single output. */
function outputLayerName(json: ModelJson): string | undefined {
  if (json.class_name === 'Sequential') return json.config.layers.at(-1)?.config.name;
  const outs = json.config.output_layers;
  if (!Array.isArray(outs) || outs.length !== 1 || !Array.isArray(outs[0])) return undefined;
  return String((outs[0] as unknown[])[0]);
}

async function rebuild(json: ModelJson, weightsFrom: tfl.LayersModel): Promise<tfl.LayersModel> {
  const m = await tfl.models.modelFromJSON({ modelTopology: json as unknown as tf.io.ModelJSON['modelTopology'] });
  // Removing a weightless layer or changing an activation keeps the weight order.
  m.setWeights(weightsFrom.getWeights());
  return m;
}

/**
 * The model's logits as a model. The caller owns the returned model; when it is a new
 * one, the original stays the caller's too.
 */
export async function toLogitModel(model: tfl.LayersModel): Promise<LogitModel> {
  const json = model.toJSON(undefined, false) as unknown as ModelJson;
  const outName = outputLayerName(json);
  const layers = json.config.layers;
  const out = layers.find((l) => (l.config.name ?? l.name) === outName);
  if (!out) return { model, change: 'none', note: 'output layer not found in the topology; attacking the raw output' };

  const isLayerNormalizer =
    out.class_name === 'Softmax' || (out.class_name === 'Activation' && NORMALIZERS.has(activationName(out.config.activation) ?? ''));
  if (isLayerNormalizer) {
    const removed = out.class_name === 'Softmax' ? 'softmax' : activationName(out.config.activation)!;
    if (json.class_name === 'Sequential') {
      if (layers.length < 2) return { model, change: 'none', note: 'the model is only a softmax; nothing to attack' };
      json.config.layers = layers.slice(0, -1);
    } else {
      const inbound = out.inbound_nodes;
      // Functional: point the output at the normalizer's single input.
      const first = Array.isArray(inbound) && Array.isArray(inbound[0]) ? (inbound[0] as unknown[])[0] : undefined;
      if (!Array.isArray(first)) return { model, change: 'none', note: `cannot rewire the ${removed} layer "${outName}"; attacking the raw output` };
      json.config.layers = layers.filter((l) => l !== out);
      json.config.output_layers = [[first[0], first[1] ?? 0, first[2] ?? 0]];
    }
    const rebuilt = await rebuild(json, model);
    return { model: rebuilt, change: 'removed-layer', removed, note: `removed the final ${out.class_name} layer "${outName}" (${removed}); attacking its input, the logits` };
  }

  const act = activationName(out.config.activation);
  if (act && NORMALIZERS.has(act)) {
    out.config.activation = 'linear';
    const rebuilt = await rebuild(json, model);
    return { model: rebuilt, change: 'removed-activation', removed: act, note: `the last layer "${outName}" ends in ${act}; attacking its pre-${act} logits` };
  }
  return { model, change: 'none', note: 'the model outputs logits (no final softmax or sigmoid)' };
}
