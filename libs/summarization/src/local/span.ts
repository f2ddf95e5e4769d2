/** A span of a sentence. */
export interface Span {
  text: string;
  start: number;
  end: number;
}

/** Whether `start`..`end` overlaps any of `spans`. */
export function overlaps(spans: readonly Span[], start: number, end: number): boolean {
  return spans.some((span) => start < span.end && end > span.start);
}
