/**
 * Lipschitz handlers for the orthonormalized layers (models/orthonormal-layers.ts).
 * They measure the effective kernel exactly as the spectral-normalized handlers do (the
 * layers extend those classes and refine W̄), so nothing about the orthonormalization
 * is assumed: a Björck step that left σ above 1 shows up in the bound. Only the
 * reported kind and note differ, so layers.csv says which layer it was.
 */
import { registerLayerHandler, type LayerHandler } from './registry.js';
import { snConv2DHandler, snDenseHandler } from './spectral-handlers.js';

function relabel(handler: LayerHandler, kind: string): LayerHandler {
  return (layer, ctx) => {
    const c = handler(layer, ctx);
    return { ...c, norm: c.norm && { ...c.norm, kind }, note: c.note.replace('spectral-normalized', 'orthonormalized (Björck)') };
  };
}

registerLayerHandler('OrthoDense', relabel(snDenseHandler, 'ortho-dense'));
registerLayerHandler('OrthoConv2D', relabel(snConv2DHandler, 'ortho-conv2d'));
