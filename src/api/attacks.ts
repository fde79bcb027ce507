/** `attacks` of the public API (src/index.ts): the attack registry and the one threat-model runner. */
export {
  attackNames,
  attackNorm,
  createAttack,
  isAttackName,
  type Attack,
  type AttackName,
  type AttackOptions,
  type Classifier,
  type Norm,
} from '../attacks/index.js';
export {
  CLEAN_ERROR,
  NOT_BROKEN,
  runAttack,
  type EpsResult,
  type KeepAdversarialOptions,
  type MemberResult,
  type RunAttackOptions,
  type RunAttackResult,
} from '../attacks/run-attack.js';
export { evaluateAttacks, type AttackEvalRow, type AttackEvaluation, type EvaluateAttacksOptions } from '../attacks/evaluate.js';
