/**
 * Vega-Lite's sub-spec types are only published under `types_unstable`; re-exporting
 * them from one place keeps that unstable path out of every chart file.
 */
export type { TopLevelSpec, Config } from 'vega-lite';
import type { LayerSpec as GenericLayer, UnitSpec as GenericUnit } from 'vega-lite/types_unstable/spec/index.js';
import type { Field } from 'vega-lite/types_unstable/channeldef.js';

export type LayerSpec = GenericLayer<Field>;
export type UnitSpec = GenericUnit<Field>;
/** Anything that may appear in a `layer` array. */
export type LayerChild = LayerSpec | UnitSpec;
import type { PositionFieldDef as GenericPositionFieldDef } from 'vega-lite/types_unstable/channeldef.js';
/** x/y field definitions; typed explicitly so array literals (domains) stay mutable. */
export type PositionFieldDef = GenericPositionFieldDef<Field>;
