/**
 * Closed until a call fails as unavailable; then open for `openMs` (callers fail fast), then
 * half-open: exactly one trial goes through, and its outcome closes or re-opens the circuit.
 */
export class CircuitBreaker {
  private openUntil: number | null = null;
  private trialInFlight = false;

  constructor(
    private readonly openMs: number,
    private readonly now: () => number,
  ) {}

  /** `closed`: go ahead; `trial`: go ahead as the one half-open trial; `null`: fail fast. */
  tryEnter(): 'closed' | 'trial' | null {
    if (this.openUntil === null) return 'closed';
    if (this.now() < this.openUntil || this.trialInFlight) return null;
    this.trialInFlight = true;
    return 'trial';
  }

  /** True while calls would go through (closed, or half-open with the trial still free). */
  isAvailable(): boolean {
    if (this.openUntil === null) return true;
    return this.now() >= this.openUntil && !this.trialInFlight;
  }

  /** True while failing fast (before the half-open trial is due). */
  isOpen(): boolean {
    return this.openUntil !== null && this.now() < this.openUntil;
  }

  /** The endpoint answered (even if with something unusable): close. */
  reachable(): void {
    this.openUntil = null;
    this.trialInFlight = false;
  }

  /** The endpoint could not be used: open (again). */
  unavailable(): void {
    this.openUntil = this.now() + this.openMs;
    this.trialInFlight = false;
  }

  /** A call ended without telling anything about the endpoint: free the trial slot. */
  release(entered: 'closed' | 'trial'): void {
    if (entered === 'trial') this.trialInFlight = false;
  }
}
