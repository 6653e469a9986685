import { describe, expect, it } from 'vitest';
import { GuardDecision, type GuardTestOptions, guardTest, showsHarm } from '../src/stats.ts';

/** mulberry32: a small seeded PRNG, so every run of these simulations is the same. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Run {
  /** Error events (both groups) when harm was declared; null when it never was. */
  events: number | null;
  exposures: number;
}

/**
 * One monitored rollout: exposures go to treatment with probability `share`; each errs with the
 * group's rate. The gap to the next error is drawn at once (geometric), and its group with the odds
 * the rates and share give: the same process as drawing every exposure, at a fraction of the cost.
 * The test is looked at after every event, as continuously as monitoring can be.
 */
function simulate(seed: number, share: number, control: number, treatment: number, maxEvents: number, options: GuardTestOptions): Run {
  const random = prng(seed);
  const rate = share * treatment + (1 - share) * control;
  const pTreatment = (share * treatment) / rate;
  let x = 0;
  let y = 0;
  let exposures = 0;
  for (let e = 1; e <= maxEvents; e++) {
    exposures += Math.max(1, Math.ceil(Math.log(1 - random()) / Math.log(1 - rate)));
    if (random() < pTreatment) x++;
    else y++;
    if (showsHarm([{ share, treatment: x, control: y }], options)) return { events: e, exposures };
  }
  return { events: null, exposures };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

describe('guardTest', () => {
  const lower: GuardTestOptions = { direction: 'lower_is_better', minEffect: 0.1 };

  it('estimates the rate ratio against the allocation, with an interval around it', () => {
    // 10% of the traffic has the new result: 20 of 110 events there is about twice control's rate.
    const r = guardTest([{ share: 0.1, treatment: 20, control: 90 }], lower);
    expect(r.estimate).toBeCloseTo(20 / 0.1 / (90 / 0.9) - 1, 6);
    expect(r.interval?.lower).toBeLessThan(r.estimate ?? 0);
    expect(r.interval?.upper).toBeGreaterThan(r.estimate ?? 0);
    expect(r.treatmentEvents).toBe(20);
    expect(r.controlEvents).toBe(90);
  });

  it('declares harm only beyond the smallest change that matters, in the harmful direction', () => {
    const worse = [{ share: 0.5, treatment: 400, control: 200 }];
    expect(guardTest(worse, lower).decision).toBe(GuardDecision.Harm);
    expect(guardTest(worse, { ...lower, minEffect: 1.5 }).decision).toBe(GuardDecision.NoHarm);
    // Twice the conversions is good news when higher is better; half is harm.
    expect(guardTest(worse, { direction: 'higher_is_better', minEffect: 0.1 }).decision).toBe(GuardDecision.NoHarm);
    const fewer = [{ share: 0.5, treatment: 200, control: 400 }];
    expect(guardTest(fewer, { direction: 'higher_is_better', minEffect: 0.1 }).decision).toBe(GuardDecision.Harm);
    expect(guardTest(fewer, lower).decision).toBe(GuardDecision.NoHarm);
    const r = guardTest(worse, lower);
    expect(r.decision === GuardDecision.Harm).toBe(showsHarm(worse, lower));
    expect(r.interval?.lower).toBeGreaterThan(0.1);
  });

  it('combines periods with different allocations (a ramp moving through steps)', () => {
    // Twice the rate at each step: 1/3 of the events at 20%, 2/3 at 50%.
    const r = guardTest(
      [
        { share: 0.2, treatment: 50, control: 100 },
        { share: 0.5, treatment: 200, control: 100 },
        { share: 0.2, treatment: 50, control: 100 },
      ],
      lower,
    );
    expect(r.estimate).toBeCloseTo(1, 6);
    expect(r.decision).toBe(GuardDecision.Harm);
  });

  it('says no_data without a period where both groups had traffic and events; bounds open where unbounded', () => {
    const none = guardTest([], lower);
    expect(none).toEqual({ decision: 'no_data', estimate: null, interval: null, treatmentEvents: 0, controlEvents: 0 });
    // At 0% and 100% nobody is compared with anybody; negative or odd counts are not counted.
    expect(
      guardTest(
        [
          { share: 1, treatment: 10, control: 0 },
          { share: 0, treatment: 0, control: 5 },
        ],
        lower,
      ).decision,
    ).toBe('no_data');
    expect(guardTest([{ share: 0.5, treatment: -3, control: Number.NaN }], lower).decision).toBe('no_data');
    // With few events the interval is open on both sides (the mixture cannot reach that far yet).
    expect(guardTest([{ share: 0.1, treatment: 0, control: 30 }], lower).interval).toEqual({ lower: null, upper: null });
    const onlyControl = guardTest([{ share: 0.1, treatment: 0, control: 3000 }], lower);
    expect(onlyControl.estimate).toBeNull();
    expect(onlyControl.interval?.lower).toBeNull();
    expect(onlyControl.interval?.upper).toBeGreaterThan(-1);
    expect(onlyControl.decision).toBe('no_harm');
  });

  it('refuses options that make no sense', () => {
    expect(() => guardTest([], { direction: 'higher_is_better', minEffect: 1 })).toThrow(RangeError);
    expect(() => guardTest([], { ...lower, alpha: 0 })).toThrow(RangeError);
    expect(() => guardTest([], { ...lower, minEffect: -0.1 })).toThrow(RangeError);
  });
});

describe('guardTest under continuous monitoring (simulated)', () => {
  it('stops wrongly in at most 5% of 500 A/A runs, looked at after every event (no margin: minEffect 0)', () => {
    const options: GuardTestOptions = { direction: 'lower_is_better', minEffect: 0 };
    let wrong = 0;
    for (let run = 0; run < 500; run++) if (simulate(1 + run, 0.5, 0.01, 0.01, 1500, options).events !== null) wrong++;
    console.log(`A/A at 50%: ${wrong} of 500 runs stopped wrongly (up to 1500 events each)`);
    expect(wrong).toBeLessThanOrEqual(25);
  });

  it('stops wrongly in at most 5% of 500 A/A runs on a small step (5% of traffic)', () => {
    const options: GuardTestOptions = { direction: 'higher_is_better', minEffect: 0 };
    let wrong = 0;
    for (let run = 0; run < 500; run++) if (simulate(100_001 + run, 0.05, 0.01, 0.01, 600, options).events !== null) wrong++;
    console.log(`A/A at 5%: ${wrong} of 500 runs stopped wrongly (up to 600 events each)`);
    expect(wrong).toBeLessThanOrEqual(25);
  });

  it('catches a treatment error rate twice control (1% baseline) in at least 95% of 500 runs', () => {
    const caught: number[] = [];
    const exposures: number[] = [];
    for (let run = 0; run < 500; run++) {
      const r = simulate(200_001 + run, 0.5, 0.01, 0.02, 1500, { direction: 'lower_is_better', minEffect: 0.1 });
      if (r.events !== null) {
        caught.push(r.events);
        exposures.push(r.exposures);
      }
    }
    console.log(
      `2x error rate at 50%: caught in ${caught.length} of 500 runs; median ${median(caught)} error events (${median(exposures)} exposures) to catch it`,
    );
    expect(caught.length).toBeGreaterThanOrEqual(475);
  });

  it('catches it on a small step too (10% of traffic), with more events', () => {
    const caught: number[] = [];
    for (let run = 0; run < 500; run++) {
      const r = simulate(300_001 + run, 0.1, 0.01, 0.02, 4000, { direction: 'lower_is_better', minEffect: 0.1 });
      if (r.events !== null) caught.push(r.events);
    }
    console.log(`2x error rate at 10%: caught in ${caught.length} of 500 runs; median ${median(caught)} error events to catch it`);
    expect(caught.length).toBeGreaterThanOrEqual(475);
  });
});
