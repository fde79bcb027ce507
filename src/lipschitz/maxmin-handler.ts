/**
 * Lipschitz factor of the MaxMin activation (models/maxmin.ts): each output pair
 * (max(a,b), min(a,b)) is a permutation of (a, b), and |max(a,b) − max(a',b')|² +
 * |min(a,b) − min(a',b')|² ≤ |a − a'|² + |b − b'|², so the map is 1-Lipschitz in ℓ2.
 */
import { registerLayerHandler } from './registry.js';

registerLayerHandler('MaxMin', () => ({ factor: 1, note: 'maxmin (GroupSort-2): 1' }));
