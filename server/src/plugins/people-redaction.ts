import type { FastifyPluginAsync } from 'fastify';
import { loadPeopleNames, redactPeople, seesPeople } from '../features/audit/redact.ts';

/** Routes whose answer is the caller's own record: their own email is theirs to see. */
const OWN = new Set(['/api/admin/me']);

/**
 * Users' emails and login addresses are for admins (`GET /users` is admin-only). Every other admin
 * answer to a viewer or editor (audit entries, schedules and ramps with their authors, versions)
 * shows each user's display name instead, by one rule rather than route by route. The activity
 * stream writes its events itself and applies the same rule there.
 */
export const peopleRedaction: FastifyPluginAsync = async (app) => {
  app.addHook('preSerialization', async (request, _reply, payload) => {
    const actor = request.actor;
    if (!actor || seesPeople(actor) || OWN.has(request.routeOptions.url ?? '')) return payload;
    if (payload === null || typeof payload !== 'object') return payload;
    // Most answers name nobody: no database read for them.
    const text = JSON.stringify(payload);
    if (!text.includes('@') && !text.includes('"ip"')) return payload;
    return redactPeople(payload, await loadPeopleNames(app.db));
  });
};
