/**
 * `mnist-certified.ts` at a budget that fits about an hour on two CPU cores: the same six
 * methods on GloRo's 2C2F, trained for 10 epochs instead of 60, with attacks and every
 * certificate (global, pairwise, IBP, CROWN) on the first 200 test points instead of 500.
 * It is there to fill the method × certificate table quickly; the 60-epoch grid is
 * the one to publish from.
 */
import { mnistCertified } from './mnist-certified.js';

export const experiment = mnistCertified('mnist-certified-short', 10, 200);
