import type { FastifyPluginAsync } from 'fastify';
import { changeDeps } from '../change-deps.ts';
import { checkRampGuards, tripIfHarmed } from '../ramps/guard-checks.ts';
import { advanceDueRamps } from '../ramps/service.ts';
import { applyDueSchedules, schedulerActor } from '../schedules/service.ts';

/**
 * Every replica runs this loop; the database claims (SELECT ... FOR UPDATE SKIP LOCKED) decide who
 * applies what, so each ramp step and scheduled change happens exactly once. The first pass runs
 * at start-up, which applies whatever fell due while the server was down.
 */
export const schedulerPlugin: FastifyPluginAsync = async (app) => {
  const deps = changeDeps(app);
  let running: Promise<void> | null = null;
  let stopped = false;
  const pass = async () => {
    const now = new Date();
    await applyDueSchedules(deps, now);
    // Metric guards on every pass while steps hold, and once more in each step's own transaction.
    await checkRampGuards(deps, schedulerActor(null), now, (err) => app.log.warn({ err }, 'ramp guard check failed'));
    await advanceDueRamps(deps, schedulerActor(null), now, tripIfHarmed);
  };
  const tick = () => {
    if (running || stopped) return;
    running = pass()
      .catch((err) => app.log.warn({ err }, 'scheduler pass failed; retrying at the next one'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, app.config.schedulerIntervalMs);
  timer.unref();
  app.addHook('onReady', async () => {
    tick();
    await running;
  });
  app.addHook('preClose', async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  });
};
