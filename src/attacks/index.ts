/**
 * The attack registry: name → { norm, options schema, factory }. Adding an attack is
 * one new file and one entry in ATTACKS; the shared property tests
 * (test/attacks.test.ts) iterate this registry, so the new attack is tested at once.
 *
 * `AttackSpec` is how experiment configs name attacks:
 *   { name: 'fgsm', eps: [0, 0.05, 0.1, 0.2, 0.3] }
 *   { name: 'pgd-linf', eps: [0, 0.1, 0.3], steps: 40, stepSize: 0.01, randomStart: true }
 *   { name: 'pgd-l2', eps: [0, 0.5, 1, 2, 3], steps: 40, relStepSize: 0.1 }
 * Every key other than `name` and `eps` is an option of that attack, validated by its
 * own strict schema, so typos fail loudly instead of falling back to defaults.
 */
import { z } from 'zod';
import { fgsm, FgsmOptions } from './fgsm.js';
import { fgmL2, FgmL2Options } from './fgm-l2.js';
import { pgdLinf, PgdLinfOptions } from './pgd-linf.js';
import { pgdL2, PgdL2Options } from './pgd-l2.js';
import { apgdCe, ApgdCeOptions } from './apgd-ce.js';
import { apgdDlr, ApgdDlrOptions } from './apgd-dlr.js';
import { apgdT, ApgdTOptions } from './apgd-t.js';
import { square, SquareOptions } from './square.js';
import { autoAttack, AutoAttackOptions } from './autoattack.js';
import type { Attack, Norm } from './types.js';

export type { Attack, AttackTargetInfo, Classifier, Norm, PerturbContext } from './types.js';

interface AttackDef<S extends z.ZodType> {
  readonly norm: Norm;
  readonly options: S;
  readonly create: (options: z.input<S>) => Attack;
  /**
   * The one-step attack of the same norm; the sanity checks flag this attack when it
   * does worse than its baseline (AutoAttack's "PGD weaker than FGSM").
   */
  readonly oneStepBaseline?: string;
}

function def<S extends z.ZodType>(d: AttackDef<S>): AttackDef<S> {
  return d;
}

export const ATTACKS = {
  fgsm: def({ norm: 'linf', options: FgsmOptions, create: fgsm }),
  'fgm-l2': def({ norm: 'l2', options: FgmL2Options, create: fgmL2 }),
  'pgd-linf': def({ norm: 'linf', options: PgdLinfOptions, create: pgdLinf, oneStepBaseline: 'fgsm' }),
  'pgd-l2': def({ norm: 'l2', options: PgdL2Options, create: pgdL2, oneStepBaseline: 'fgm-l2' }),
  'apgd-ce-linf': def({ norm: 'linf', options: ApgdCeOptions, create: (o) => apgdCe('linf', o), oneStepBaseline: 'fgsm' }),
  'apgd-ce-l2': def({ norm: 'l2', options: ApgdCeOptions, create: (o) => apgdCe('l2', o), oneStepBaseline: 'fgm-l2' }),
  'apgd-dlr-linf': def({ norm: 'linf', options: ApgdDlrOptions, create: (o) => apgdDlr('linf', o), oneStepBaseline: 'fgsm' }),
  'apgd-dlr-l2': def({ norm: 'l2', options: ApgdDlrOptions, create: (o) => apgdDlr('l2', o), oneStepBaseline: 'fgm-l2' }),
  'apgd-t-linf': def({ norm: 'linf', options: ApgdTOptions, create: (o) => apgdT('linf', o), oneStepBaseline: 'fgsm' }),
  'apgd-t-l2': def({ norm: 'l2', options: ApgdTOptions, create: (o) => apgdT('l2', o), oneStepBaseline: 'fgm-l2' }),
  'square-linf': def({ norm: 'linf', options: SquareOptions, create: (o) => square('linf', o) }),
  'square-l2': def({ norm: 'l2', options: SquareOptions, create: (o) => square('l2', o) }),
  'autoattack-linf': def({ norm: 'linf', options: AutoAttackOptions, create: (o) => autoAttack('linf', o), oneStepBaseline: 'fgsm' }),
  'autoattack-l2': def({ norm: 'l2', options: AutoAttackOptions, create: (o) => autoAttack('l2', o), oneStepBaseline: 'fgm-l2' }),
} as const;

/**
 * Names that stand for one attack per norm (`-a autoattack --norm l2`): the registry
 * keeps one name per (attack, norm) so that a name always fixes the norm.
 */
export const NORM_FAMILIES = ['apgd-ce', 'apgd-dlr', 'apgd-t', 'square', 'autoattack'] as const;

/** `autoattack` + `l2` → `autoattack-l2`; a full registry name is returned unchanged. */
export function resolveAttackName(name: string, norm: Norm = 'linf'): string {
  return (NORM_FAMILIES as readonly string[]).includes(name) ? `${name}-${norm}` : name;
}

type Registry = typeof ATTACKS;
export type AttackName = keyof Registry;

export function attackNames(): AttackName[] {
  return Object.keys(ATTACKS) as AttackName[];
}

export function isAttackName(name: string): name is AttackName {
  return Object.prototype.hasOwnProperty.call(ATTACKS, name);
}

function unknownAttackMessage(name: unknown): string {
  return `unknown attack ${JSON.stringify(name)}; registered attacks: ${attackNames().join(', ')}`;
}

export function attackNorm(name: AttackName): Norm {
  return ATTACKS[name].norm;
}

export function oneStepBaseline(name: AttackName): AttackName | undefined {
  const d: AttackDef<z.ZodType> = ATTACKS[name];
  const b = d.oneStepBaseline;
  return b !== undefined && isAttackName(b) ? b : undefined;
}

/** Options accepted by the named attack (input form: every field optional). */
export type AttackOptions<N extends AttackName> = z.input<Registry[N]['options']>;

/** Build an attack by name; options are validated by the attack's schema. */
export function createAttack<N extends AttackName>(name: N, options?: AttackOptions<N>): Attack;
export function createAttack(name: string, options?: Record<string, unknown>): Attack;
export function createAttack(name: string, options: Record<string, unknown> = {}): Attack {
  if (!isAttackName(name)) throw new Error(unknownAttackMessage(name));
  const d = ATTACKS[name] as AttackDef<z.ZodType>;
  const parsed = d.options.safeParse(options);
  if (!parsed.success) throw new Error(`attack ${name}: ${z.prettifyError(parsed.error)}`);
  return d.create(options);
}

const EpsList = z.array(z.number().min(0).finite()).min(1, 'eps needs at least one value');

/** What an experiment config writes: one attack name, its ε list, and its options. */
export type AttackSpecInput = {
  [N in AttackName]: { name: N; eps?: number[] } & AttackOptions<N>;
}[AttackName];

/** A validated spec: options are kept in their input form and re-validated by createAttack. */
export interface ParsedAttackSpec {
  readonly name: AttackName;
  /** Undefined when the spec relies on evaluateAttacks' default ε list. */
  readonly eps: number[] | undefined;
  readonly options: Record<string, unknown>;
}

const SpecBase = z.object({ name: z.string(), eps: EpsList.optional() }).catchall(z.unknown());

/**
 * Zod schema for one attack entry of an experiment config. Unknown names fail with
 * the list of registered attacks; option errors carry the option's path.
 */
export const AttackSpec: z.ZodType<ParsedAttackSpec, AttackSpecInput> = SpecBase.superRefine((s, ctx) => {
  if (!isAttackName(s.name)) {
    ctx.addIssue({ code: 'custom', path: ['name'], message: unknownAttackMessage(s.name), input: s.name });
    return;
  }
  const { name: _n, eps: _e, ...options } = s;
  const r = (ATTACKS[s.name] as AttackDef<z.ZodType>).options.safeParse(options);
  if (!r.success) {
    for (const issue of r.error.issues) {
      ctx.addIssue({ ...issue, message: `attack ${s.name}: ${issue.message}` } as Parameters<typeof ctx.addIssue>[0]);
    }
  }
}).transform((s): ParsedAttackSpec => {
  const { name, eps, ...options } = s;
  return { name: name as AttackName, eps, options };
}) as unknown as z.ZodType<ParsedAttackSpec, AttackSpecInput>;

/**
 * The options an attack runs with: the given ones plus every default, as its schema
 * resolves them. Unknown names and invalid options come back as given (for reports of
 * results written by other versions).
 */
export function resolvedAttackOptions(name: string, options: Record<string, unknown> = {}): Record<string, unknown> {
  if (!isAttackName(name)) return options;
  const parsed = (ATTACKS[name] as AttackDef<z.ZodType>).options.safeParse(options);
  return parsed.success && typeof parsed.data === 'object' && parsed.data !== null ? (parsed.data as Record<string, unknown>) : options;
}

/** Build the attack a parsed spec describes. */
export function attackFromSpec(spec: ParsedAttackSpec): Attack {
  return createAttack(spec.name, spec.options);
}

export { fgsm, fgmL2, pgdLinf, pgdL2, apgdCe, apgdDlr, apgdT, square, autoAttack };
export { FgsmOptions, FgmL2Options, PgdLinfOptions, PgdL2Options, ApgdCeOptions, ApgdDlrOptions, ApgdTOptions, SquareOptions, AutoAttackOptions };
