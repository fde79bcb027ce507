/**
 * Flattens a model into the chain of layers the product bound multiplies over.
 * The product of per-layer constants is only a bound for a composition f_n∘…∘f_1, so
 * anything else (branches, merges, shared layers, several inputs/outputs) is rejected
 * rather than bounded wrongly. Nested models are inlined.
 */
import * as tfl from '@tensorflow/tfjs-layers';

export interface ChainLink {
  readonly layer: tfl.layers.Layer;
  /** Input shape with the batch dimension set to 1. */
  readonly inputShape: readonly number[];
}

type Shape = (number | null)[];

function isShapeList(s: Shape | Shape[]): s is Shape[] {
  return s.length > 0 && Array.isArray(s[0]);
}

function singleInputShape(layer: tfl.layers.Layer): number[] {
  const nodes = layer.inboundNodes;
  if (nodes.length !== 1) {
    throw new Error(`lipschitz: layer '${layer.name}' (${layer.getClassName()}) is called ${nodes.length} times; shared layers are not supported by the product bound`);
  }
  const raw = nodes[0].inputShapes as Shape | Shape[];
  let shape: Shape;
  if (isShapeList(raw)) {
    if (raw.length !== 1) throw new Error(`lipschitz: layer '${layer.name}' (${layer.getClassName()}) has ${raw.length} inputs; only chains are supported`);
    shape = raw[0];
  } else {
    shape = raw;
  }
  return shape.map((d, i) => {
    if (i === 0) return 1;
    if (d === null || d === undefined) {
      throw new Error(`lipschitz: layer '${layer.name}' has an unknown input dimension ${i} ([${shape}]); build the model with a fixed input shape`);
    }
    return d;
  });
}

function walk(model: tfl.LayersModel, out: ChainLink[]): void {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error(`lipschitz: model '${model.name}' has ${model.inputs.length} inputs and ${model.outputs.length} outputs; only single-input single-output chains are supported`);
  }
  let prev: tfl.layers.Layer | undefined;
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const nested = layer instanceof tfl.LayersModel;
    // A nested model also owns the node of its own internal graph, so it may have
    // several inbound nodes; a plain layer with more than one is shared and rejected.
    const nodes = nested || layer.inboundNodes.length === 1 ? layer.inboundNodes : [];
    const fits = (from: tfl.layers.Layer[]): boolean =>
      from.length === 1 && (prev === undefined ? from[0].getClassName() === 'InputLayer' : from[0] === prev);
    const inbound = nodes.length > 0 ? nodes[nodes.length - 1].inboundLayers : [];
    if (!nodes.some((n) => fits(n.inboundLayers))) {
      throw new Error(
        `lipschitz: model '${model.name}' is not a simple chain at layer '${layer.name}' (${layer.getClassName()}, inputs from [${inbound.map((l) => l.name).join(', ')}]); ` +
          'branches/merges need their own bound',
      );
    }
    if (layer instanceof tfl.LayersModel) walk(layer, out);
    else out.push({ layer, inputShape: singleInputShape(layer) });
    prev = layer;
  }
  const source = model.outputs[0].sourceLayer;
  if (prev !== undefined && source !== prev) {
    throw new Error(`lipschitz: model '${model.name}' output comes from '${source.name}', not the last layer '${prev.name}'`);
  }
}

export function modelChain(model: tfl.LayersModel): ChainLink[] {
  const out: ChainLink[] = [];
  walk(model, out);
  return out;
}
