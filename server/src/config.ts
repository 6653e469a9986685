/**
 * Configuration from environment variables, checked once at start. Every bad value is reported
 * with its variable name and what was expected, all at once, before anything opens.
 */

export interface Config {
  port: number;
  host: string;
  /** Folder of the embedded database, used when `databaseUrl` is absent. */
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  logLevel: string;
  /** Set the Secure attribute on the session cookie (behind HTTPS). */
  secureCookies: boolean;
  /** Requests per minute per client IP on the login route. */
  loginRateLimit: number;
  /** Failed logins per account in 15 minutes before that account's logins are refused for the rest of the window. */
  loginAccountLimit: number;
  /** A session unused for this long ends (sliding: every request pushes it back). */
  sessionIdleTimeoutMs: number;
  /** How long a replica reuses a session lookup (0: never); see `SessionCache`. */
  sessionCacheMs: number;
  /** Largest request body in bytes. */
  bodyLimit: number;
  /**
   * How many proxy hops to trust for the client address (X-Forwarded-For); 0 trusts none, so the
   * login rate limit cannot be dodged by forging the header.
   */
  trustProxyHops: number;
  /** Folder of the built admin UI, served at `/` when it exists. */
  adminUiDir: string | undefined;
  /** Serve the admin UI's source maps (`*.map`); off, they answer 404 so the sources stay private. */
  serveSourceMaps: boolean;
  /** Open SDK streams one replica accepts before answering 429: the two pools below together. */
  maxStreams: number;
  /** The pool of server-key streams (backends), apart from browsers' so they cannot take it. */
  maxServerStreams: number;
  /** The pool of client-key streams (browsers). */
  maxClientStreams: number;
  /** Streams one SDK key holds on one replica. */
  maxStreamsPerKey: number;
  /** Streams one client address holds on one replica. */
  maxStreamsPerAddress: number;
  /** Admin activity streams (`/api/admin/stream`) one replica holds, and one user (or token) of them. */
  maxActivityStreams: number;
  maxActivityStreamsPerUser: number;
  /** How often a replica compares its revisions with the database and re-checks stream keys. */
  deliveryCheckMs: number;
  /**
   * Check intervals a replica may go without confirming its revision before it closes its streams
   * and refuses SDK requests (503) until it can confirm again.
   */
  deliveryStaleChecks: number;
  /** Timeouts and keepalive of every Postgres connection (see `openDatabase`). */
  database: DatabaseTimeouts;
  /** Comment lines keep idle streams (and the proxies between) alive. */
  heartbeatMs: number;
  /** Unsent bytes a stream may hold before the consumer counts as too slow and is cut off. */
  streamBufferBytes: number;
  /** How often summed SDK usage reports are written to the database. */
  usageFlushMs: number;
  /** Usage reports one SDK key may send per minute to one replica. */
  usageReportsPerMinute: number;
  /** OFREP evaluation requests one SDK key may send per second to one replica. */
  ofrepKeyRate: number;
  /** OFREP evaluation requests one client address may send per second to one replica. */
  ofrepAddressRate: number;
  /** How often each replica looks for due ramp steps and scheduled changes. */
  schedulerIntervalMs: number;
  /** Time to receive a request's headers (slow-loris clients are cut after it). */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included; responses (SSE streams) are not bounded by it. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  /** A socket with no traffic either way for this long is closed (0: never); streams' heartbeats count. */
  connectionTimeoutMs: number;
}

export interface DatabaseTimeouts {
  /** Opening a connection, and waiting for a free one in the pool. */
  connectTimeoutMs: number;
  /** Client side: a query unanswered this long fails and its connection is destroyed (silent connections). */
  queryTimeoutMs: number;
  /** Server side: Postgres cancels a statement running this long. */
  statementTimeoutMs: number;
  /** Server side: Postgres ends a session idle inside a transaction this long, releasing its locks. */
  idleInTransactionTimeoutMs: number;
  /** TCP keepalive probes after this much idle time; 0 turns keepalive off. */
  keepAliveMs: number;
  /** At start, how long to keep retrying an unreachable database before giving up; 0 gives up at once. */
  connectRetryMs: number;
}

/**
 * Every wait on the database is bounded. The statement timeout is a little shorter than the query
 * timeout, so Postgres normally cancels a slow statement itself; the query timeout catches
 * connections that went silent. With these, a replica is back within about 10 s of its database.
 */
export const DATABASE_DEFAULTS: DatabaseTimeouts = {
  connectTimeoutMs: 5000,
  queryTimeoutMs: 6000,
  statementTimeoutMs: 5000,
  idleInTransactionTimeoutMs: 10_000,
  keepAliveMs: 10_000,
  connectRetryMs: 0,
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return n;
  };
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    try {
      const u = new URL(raw);
      if (!protocols.includes(u.protocol))
        problems.push(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}, got ${u.protocol}//`);
    } catch {
      problems.push(`${name} is not a URL`);
    }
    return raw;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
    problems.push(`${name} must be true or false, got ${JSON.stringify(raw)}`);
    return fallback;
  };

  const adminEmail = str('ADMIN_EMAIL');
  const adminPassword = str('ADMIN_PASSWORD');
  if (adminEmail !== undefined && !/^[^\s@]+@[^\s@]+$/.test(adminEmail)) problems.push('ADMIN_EMAIL is not an email address');
  if (adminPassword !== undefined && adminPassword.length < 8) problems.push('ADMIN_PASSWORD must be at least 8 characters');
  if ((adminEmail === undefined) !== (adminPassword === undefined))
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD go together: set both or neither');
  const logLevel = str('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  // Pools are shares of MAX_STREAMS unless set: a tenth for backends (there are few of them, and
  // they must never be crowded out by a page's visitors), the rest for browsers.
  const maxStreams = int('MAX_STREAMS', 20_000, 1, 1_000_000);
  const serverSet = str('MAX_SERVER_STREAMS') !== undefined;
  const maxServerStreams = int('MAX_SERVER_STREAMS', Math.ceil(maxStreams / 10), 0, 1_000_000);
  const maxClientStreams = int(
    'MAX_CLIENT_STREAMS',
    serverSet ? Math.max(0, maxStreams - maxServerStreams) : maxStreams - Math.ceil(maxStreams / 10),
    0,
    1_000_000,
  );
  if (str('MAX_STREAMS') !== undefined && maxServerStreams + maxClientStreams > maxStreams)
    problems.push(`MAX_SERVER_STREAMS + MAX_CLIENT_STREAMS (${maxServerStreams + maxClientStreams}) exceed MAX_STREAMS (${maxStreams})`);

  const config: Config = {
    port: int('PORT', 4242, 0, 65535),
    host: str('HOST') ?? '127.0.0.1',
    dataDir: str('DATA_DIR') ?? '.data/switchboard',
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    adminEmail,
    adminPassword,
    logLevel,
    secureCookies: bool('SECURE_COOKIES', false),
    loginRateLimit: int('LOGIN_RATE_LIMIT', 10, 1, 10_000),
    loginAccountLimit: int('LOGIN_ACCOUNT_LIMIT', 10, 1, 10_000),
    sessionIdleTimeoutMs: int('SESSION_IDLE_TIMEOUT_MS', 30 * 60_000, 1000, 7 * 24 * 60 * 60_000),
    sessionCacheMs: int('SESSION_CACHE_MS', 1000, 0, 60_000),
    bodyLimit: int('BODY_LIMIT', 1_048_576, 1024, 100 * 1_048_576),
    trustProxyHops: int('TRUST_PROXY_HOPS', 0, 0, 10),
    adminUiDir: str('ADMIN_UI_DIR'),
    serveSourceMaps: bool('SERVE_SOURCE_MAPS', false),
    maxStreams: Math.max(maxStreams, maxServerStreams + maxClientStreams),
    maxServerStreams,
    maxClientStreams,
    // A client key is shared by every visitor of an app, so by default only the pool bounds it.
    maxStreamsPerKey: int('MAX_STREAMS_PER_KEY', Math.max(maxServerStreams, maxClientStreams), 1, 1_000_000),
    // Behind a balancer every stream comes from its address unless TRUST_PROXY_HOPS is set.
    maxStreamsPerAddress: int('MAX_STREAMS_PER_ADDRESS', 1000, 1, 1_000_000),
    maxActivityStreams: int('MAX_ACTIVITY_STREAMS', 500, 1, 100_000),
    // One per open admin tab: a person with more tabs than this open is rare; a loop opening them is not.
    maxActivityStreamsPerUser: int('MAX_ACTIVITY_STREAMS_PER_USER', 20, 1, 10_000),
    deliveryCheckMs: int('DELIVERY_CHECK_MS', 2000, 100, 60_000),
    deliveryStaleChecks: int('DELIVERY_STALE_CHECKS', 3, 1, 100),
    database: {
      connectTimeoutMs: int('DATABASE_CONNECT_TIMEOUT_MS', DATABASE_DEFAULTS.connectTimeoutMs, 100, 600_000),
      queryTimeoutMs: int('DATABASE_QUERY_TIMEOUT_MS', DATABASE_DEFAULTS.queryTimeoutMs, 100, 3_600_000),
      statementTimeoutMs: int('DATABASE_STATEMENT_TIMEOUT_MS', DATABASE_DEFAULTS.statementTimeoutMs, 100, 3_600_000),
      idleInTransactionTimeoutMs: int(
        'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS',
        DATABASE_DEFAULTS.idleInTransactionTimeoutMs,
        100,
        3_600_000,
      ),
      keepAliveMs: int('DATABASE_KEEPALIVE_MS', DATABASE_DEFAULTS.keepAliveMs, 0, 3_600_000),
      connectRetryMs: int('DATABASE_CONNECT_RETRY_MS', DATABASE_DEFAULTS.connectRetryMs, 0, 3_600_000),
    },
    heartbeatMs: int('HEARTBEAT_MS', 15_000, 100, 300_000),
    streamBufferBytes: int('STREAM_BUFFER_BYTES', 262_144, 1024, 64 * 1_048_576),
    usageFlushMs: int('USAGE_FLUSH_MS', 10_000, 100, 600_000),
    // A client key reports once a minute from every open page: sized for thousands of visitors.
    usageReportsPerMinute: int('USAGE_REPORTS_PER_MINUTE', 6000, 1, 10_000_000),
    // A client key serves every visitor of a site: a patch to a remote flag sends each open page back.
    ofrepKeyRate: int('OFREP_KEY_RATE', 20_000, 1, 10_000_000),
    ofrepAddressRate: int('OFREP_ADDRESS_RATE', 200, 1, 10_000_000),
    schedulerIntervalMs: int('SCHEDULER_INTERVAL_MS', 1000, 50, 60_000),
    headersTimeoutMs: int('HEADERS_TIMEOUT_MS', 10_000, 500, 300_000),
    requestTimeoutMs: int('REQUEST_TIMEOUT_MS', 60_000, 500, 3_600_000),
    // Above the 60 s idle timeout of common balancers, so they never reuse a socket we just closed.
    keepAliveTimeoutMs: int('KEEP_ALIVE_TIMEOUT_MS', 65_000, 100, 3_600_000),
    connectionTimeoutMs: int('CONNECTION_TIMEOUT_MS', 600_000, 0, 86_400_000),
  };
  if (config.headersTimeoutMs > config.requestTimeoutMs)
    problems.push(`HEADERS_TIMEOUT_MS (${config.headersTimeoutMs}) must not exceed REQUEST_TIMEOUT_MS (${config.requestTimeoutMs})`);
  // An idle stream writes only heartbeats: the idle cut must leave room for two of them.
  if (config.connectionTimeoutMs !== 0 && config.connectionTimeoutMs <= 2 * config.heartbeatMs)
    problems.push(`CONNECTION_TIMEOUT_MS must be 0 or more than twice HEARTBEAT_MS (${2 * config.heartbeatMs}), or idle streams are cut`);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
