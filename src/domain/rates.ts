/**
 * A rate as the forms show it: to a tenth of a per cent, rounded down — 1 999 of 2 000 is 99.9 %, never a 100 %
 * that is not (Plan 2207's goal is 100 %: a rounded-up figure would say it is reached). The epsilon keeps an
 * exact tenth (0.7 = 7/10, stored as 0.69999…) from falling to the tenth below.
 */
export function rateDown(rate: number): number {
  return Math.floor(rate * 1000 + 1e-9) / 1000;
}
