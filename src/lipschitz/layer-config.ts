/**
 * Typed access to the parts of a tfjs layer the analysis needs. Layer fields such as
 * `strides` are protected in tfjs-layers, so we read the public `getConfig()` and
 * validate it: a config we do not understand must throw, not default silently.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';

const pair = z.union([z.number().int().positive(), z.array(z.number().int().positive()).min(1).max(2)]);

function toPair(v: z.infer<typeof pair>): [number, number] {
  if (typeof v === 'number') return [v, v];
  return v.length === 1 ? [v[0], v[0]] : [v[0], v[1]];
}

const Padding = z.enum(['same', 'valid']);
export type Padding = z.infer<typeof Padding>;
const ChannelsLast = z.literal('channelsLast').optional();

export interface Window2D {
  readonly size: [number, number];
  readonly strides: [number, number];
  readonly dilations: [number, number];
  readonly padding: Padding;
}

function parse<T>(layer: tfl.layers.Layer, schema: z.ZodType<T>): T {
  const r = schema.safeParse(layer.getConfig());
  if (!r.success) {
    throw new Error(`lipschitz: unsupported config for layer '${layer.name}' (${layer.getClassName()}): ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return r.data;
}

const ConvConfig = z.object({
  kernelSize: pair,
  strides: pair.optional(),
  padding: Padding.optional(),
  dataFormat: ChannelsLast,
  dilationRate: pair.optional(),
  activation: z.string().optional(),
});

export function convConfig(layer: tfl.layers.Layer): Window2D & { readonly activation: string } {
  const c = parse(layer, ConvConfig);
  return {
    size: toPair(c.kernelSize),
    strides: toPair(c.strides ?? 1),
    dilations: toPair(c.dilationRate ?? 1),
    padding: c.padding ?? 'valid',
    activation: c.activation ?? 'linear',
  };
}

const PoolConfig = z.object({
  poolSize: pair.optional(),
  strides: pair.nullable().optional(),
  padding: Padding.optional(),
  dataFormat: ChannelsLast,
});

export function poolConfig(layer: tfl.layers.Layer): Window2D {
  const c = parse(layer, PoolConfig);
  const size = toPair(c.poolSize ?? 2);
  return { size, strides: c.strides ? toPair(c.strides) : size, dilations: [1, 1], padding: c.padding ?? 'valid' };
}

/** The activation name of an `Activation` layer or a fused activation; 'linear' when absent. */
export function activationName(layer: tfl.layers.Layer): string {
  return parse(layer, z.object({ activation: z.string().optional() })).activation ?? 'linear';
}

export function configValue<T>(layer: tfl.layers.Layer, schema: z.ZodType<T>): T {
  return parse(layer, schema);
}

/**
 * The current value of a named weight ('kernel', 'gamma', ...). The returned tensor is
 * the layer's own variable: never dispose it.
 */
export function weight(layer: tfl.layers.Layer, name: string): tf.Tensor | undefined {
  const w = layer.weights.find((v) => v.originalName === name || v.originalName.endsWith(`/${name}`));
  return w?.read();
}

export function requireWeight(layer: tfl.layers.Layer, name: string): tf.Tensor {
  const w = weight(layer, name);
  if (!w) throw new Error(`lipschitz: layer '${layer.name}' (${layer.getClassName()}) has no '${name}' weight; is the model built?`);
  return w;
}
