import type { FastifyInstance } from 'fastify';
import { SYSTEM_ACTOR } from './domain/actor.ts';
import { changeDeps } from './features/change-deps.ts';
import { ensureDefaultEnvironments } from './features/environments/service.ts';
import { ensureFirstAdmin } from './features/users/service.ts';

/** First-start data: the default environments and a first admin. Safe to run on every start. */
export async function bootstrap(app: FastifyInstance): Promise<void> {
  await ensureDefaultEnvironments(changeDeps(app), SYSTEM_ACTOR);
  await ensureFirstAdmin(app.db, app.config, app.log);
}
