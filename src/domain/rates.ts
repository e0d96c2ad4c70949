/**
 * A rate as the forms show it: to a tenth of a per cent, rounded down — 1 999 of 2 000 is 99.9 %, never a 100 % that
 * is not (Plan 2207's goal is 100 %: a rounded-up figure would say it is reached). The epsilon keeps an exact tenth
 * (0.7 = 7/10, stored as 0.69999…) from falling to the tenth below. At the other end the same holds the other way:
 * someone done is never 0 % — 1 of 2 000 (0.05 %) is 0.1 %, the least that can be shown, not a 0.0 % that reads as
 * nobody verified yet (a province that has begun would read as one that has not).
 */
export function rateDown(rate: number): number {
  const down = Math.floor(rate * 1000 + 1e-9) / 1000;
  return down === 0 && rate > 0 ? 0.001 : down;
}
