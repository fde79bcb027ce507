/**
 * Generic plumbing for custom tfjs-layers classes (models/spectral-layers.ts): reading
 * the activation, initializers and pair-valued options a layer config may hold (from a
 * builder or from a loaded model.json), and refusing options a layer does not implement.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export type Initializer = ReturnType<typeof tfl.initializers.glorotUniform>;
export type ConfigDict = tf.serialization.ConfigDict;
export type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

export const ACTIVATIONS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  elu: (x) => tf.elu(x),
  softplus: (x) => tf.softplus(x),
};

export function activationOf(name: unknown, layer: string): string {
  const a = name ?? 'linear';
  if (typeof a !== 'string' || !(a in ACTIVATIONS)) {
    throw new Error(`${layer}: unsupported activation ${JSON.stringify(a)} (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
  }
  return a;
}

function isInitializer(v: unknown): v is Initializer {
  return typeof v === 'object' && v !== null && typeof (v as { apply?: unknown }).apply === 'function' && typeof (v as { getClassName?: unknown }).getClassName === 'function';
}

/**
 * An initializer from what a layer config may hold: an instance (builders), a
 * serialized {className, config} (a loaded model.json) or a camelCase name.
 */
export function resolveInitializer(id: unknown, fallback: () => Initializer, layer: string): Initializer {
  if (id === undefined || id === null) return fallback();
  if (isInitializer(id)) return id;
  if (typeof id === 'string') {
    const make = (tfl.initializers as unknown as Record<string, ((a: object) => Initializer) | undefined>)[id];
    if (typeof make === 'function') return make({});
  }
  if (typeof id === 'object' && typeof (id as { className?: unknown }).className === 'string') {
    const { className, config } = id as { className: string; config?: ConfigDict };
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
    if (entry) return entry[1](entry[0], config ?? {}) as unknown as Initializer;
  }
  throw new Error(`${layer}: unknown initializer ${JSON.stringify(id)}`);
}

export function serializeInitializer(i: Initializer): ConfigDict {
  return { className: i.getClassName(), config: i.getConfig() };
}

export function pair(v: number | number[] | undefined, dflt: number, what: string, layer: string): [number, number] {
  if (v === undefined) return [dflt, dflt];
  if (typeof v === 'number') return [v, v];
  if (v.length === 1) return [v[0]!, v[0]!];
  if (v.length === 2) return [v[0]!, v[1]!];
  throw new Error(`${layer}: ${what} must be a number or a pair, got [${v}]`);
}

/** Reject tfjs-layers options these layers do not implement, instead of ignoring them. */
export function rejectUnsupported(args: object, keys: readonly string[], layer: string, by = 'spectral-normalized layers'): void {
  for (const k of keys) {
    if ((args as Record<string, unknown>)[k] !== undefined && (args as Record<string, unknown>)[k] !== null) {
      throw new Error(`${layer}: option '${k}' is not supported by ${by}`);
    }
  }
}
