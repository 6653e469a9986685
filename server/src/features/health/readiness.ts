/**
 * Conditions under which this replica should get no traffic, added by the features that know them.
 * `/readyz` reports the first one that holds.
 */
export class Readiness {
  private readonly checks = new Map<string, () => string | null>();

  /** `check` answers null when ready, or why not. */
  add(name: string, check: () => string | null): void {
    this.checks.set(name, check);
  }

  problem(): string | null {
    for (const check of this.checks.values()) {
      const problem = check();
      if (problem !== null) return problem;
    }
    return null;
  }
}
