// Reading a wall-clock time in a zone known by its offsets at instants: the
// one rule both kinds of zone (Olson's and a VTIMEZONE's) follow.

const DAY = 86_400_000;

/**
 * The instant of a wall-clock reading (its fields as if UTC, in ms) in a zone
 * whose offset at an instant `offsetAt` gives. RFC 5545 section 3.3.5: a time
 * in the gap of a forward shift is read with the offset from before the gap; a
 * time that occurs twice (backward shift) is its first occurrence.
 */
export function wallToInstantBy(offsetAt: (instant: number) => number, wall: number): number {
  const before = offsetAt(wall - DAY);
  const after = offsetAt(wall + DAY);
  // No shift nearby: the one candidate is the answer whether or not it checks
  // out (see below), so the check, a third offset lookup, is skipped. Series
  // expansion asks this for every instance.
  if (before === after) return wall - before;
  const valid = [before, after].filter((offset) => offsetAt(wall - offset) === offset);
  if (valid.length === 0) return wall - before;
  return wall - Math.max(...valid);
}
