#!/usr/bin/env node

// package.json
var version = "0.1.0";

// src/cli/args.ts
import { parseArgs } from "node:util";

// src/cli/errors.ts
var ExitCode = { Ok: 0, Failed: 1, Unreachable: 2, Usage: 64 };
var CliError = class extends Error {
  constructor(message, code, details) {
    super(message);
    this.code = code;
    this.details = details;
    this.name = new.target.name;
  }
  code;
  details;
};
var ApiError = class extends CliError {
  constructor(status, code, message, details) {
    super(message, code, details);
    this.status = status;
  }
  status;
};
var NetworkError = class extends Error {
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
};
var UsageError = class extends Error {
  constructor(message, usage) {
    super(message);
    this.usage = usage;
    this.name = new.target.name;
  }
  usage;
};

// src/cli/args.ts
var OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  env: { type: "string", short: "e" },
  tag: { type: "string" },
  search: { type: "string" },
  rule: { type: "string" },
  percentage: { type: "string" },
  stickiness: { type: "string" },
  retry: { type: "boolean" },
  steps: { type: "string" },
  guard: { type: "string" },
  flag: { type: "string" },
  to: { type: "string" },
  at: { type: "string" },
  enable: { type: "boolean" },
  disable: { type: "boolean" },
  "rules-file": { type: "string" },
  output: { type: "string", short: "o" },
  "dry-run": { type: "boolean" },
  "from-env": { type: "string" }
};
var GLOBAL_OPTIONS = ["url", "token", "json", "help"];
function parseCommandLine(argv, usageFor) {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    return { values, positionals };
  } catch (err) {
    const { positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: false });
    throw new UsageError(err.message, usageFor(positionals));
  }
}
function optionLabel(name) {
  const short = OPTIONS[name].short;
  return short ? `--${name} (-${short})` : `--${name}`;
}
function numberOption(name, raw, min, max, usage) {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, not ${JSON.stringify(raw)}`, usage);
  }
  return value;
}
var DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$/;
function parseDuration(text) {
  const m = DURATION.exec(text.trim());
  if (!m || text.trim() === "") return void 0;
  const [, d = "0", h = "0", min = "0", s = "0"] = m;
  return Number(d) * 86400 + Number(h) * 3600 + Number(min) * 60 + Number(s);
}

// src/cli/command.ts
function usageOf(spec) {
  return `usage: switchboard ${spec.words.join(" ")}${spec.synopsis ? ` ${spec.synopsis}` : ""}

${spec.summary}`;
}
function requireOption(ctx, name) {
  const value = ctx.opts[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`${optionLabel(name)} is required`, ctx.usage);
  return value;
}
function requireEnv(ctx) {
  return requireOption(ctx, "env");
}

// src/cli/http.ts
function apiPath(strings, ...values) {
  return strings.reduce((path, s, i) => path + s + (i < values.length ? encodeURIComponent(String(values[i])) : ""), "");
}
var ApiClient = class {
  constructor(options) {
    this.options = options;
  }
  options;
  get(path, options) {
    return this.request("GET", path, options).then((r) => r.body);
  }
  post(path, body) {
    return this.request("POST", path, { body }).then((r) => r.body);
  }
  patch(path, body, ifMatch) {
    return this.request("PATCH", path, { body, ifMatch }).then((r) => r.body);
  }
  delete(path) {
    return this.request("DELETE", path).then((r) => r.body);
  }
  async request(method, path, options = {}) {
    const url = this.urlOf(path, options.query);
    const headers = { accept: "application/json", "user-agent": this.options.userAgent };
    if (this.options.token !== void 0) headers.authorization = `Bearer ${this.options.token}`;
    if (options.ifMatch !== void 0) headers["if-match"] = `"${options.ifMatch}"`;
    let body;
    if (options.body !== void 0) {
      body = JSON.stringify(options.body);
      headers["content-type"] = "application/json";
    }
    let res;
    let text;
    try {
      const signal = AbortSignal.timeout(this.options.timeoutMs);
      res = await fetch(url, { method, headers, body, signal });
      text = await res.text();
    } catch (err) {
      throw new NetworkError(this.describeNetworkFailure(err));
    }
    let parsed;
    try {
      parsed = text === "" ? void 0 : JSON.parse(text);
    } catch {
      parsed = void 0;
    }
    if (!res.ok) throw errorFromResponse(res, parsed);
    if (parsed === void 0 && text !== "") {
      throw new ApiError(
        res.status,
        "NOT_JSON",
        `${url.origin} answered ${method} ${url.pathname} with something that is not JSON; is --url right?`
      );
    }
    return { status: res.status, body: parsed };
  }
  urlOf(path, query) {
    const base = this.options.baseUrl.href.replace(/\/+$/, "");
    const url = new URL(base + path);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== void 0) url.searchParams.set(name, String(value));
    }
    return url;
  }
  describeNetworkFailure(err) {
    const where = this.options.baseUrl.origin;
    if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
      return `no answer from ${where} within ${Math.round(this.options.timeoutMs / 1e3)} s`;
    }
    const cause = err instanceof Error ? err.cause : void 0;
    const reason = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    return `cannot reach ${where} (${reason})`;
  }
};
function errorFromResponse(res, body) {
  const error = body?.error;
  if (error && typeof error.code === "string" && typeof error.message === "string") {
    return new ApiError(res.status, error.code, error.message, error.details);
  }
  return new ApiError(res.status, `HTTP_${res.status}`, `the server answered ${res.status} ${res.statusText}`.trim());
}

// src/cli/output.ts
var CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
var CONTROLS_AND_BREAKS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
function sanitize(text) {
  return text.replace(CONTROLS, "");
}
function sanitizeInline(text) {
  return text.replace(CONTROLS_AND_BREAKS, (c) => c === "\n" || c === "	" || c === "\r" ? " " : "");
}
function safeJson(value) {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`
  );
}
function processOutput() {
  return {
    line: (text = "") => process.stdout.write(`${sanitize(text)}
`),
    json: (value) => process.stdout.write(`${safeJson(value)}
`),
    note: (text) => process.stderr.write(`${sanitize(text)}
`)
  };
}
function table(headers, rawRows) {
  const rows = rawRows.map((r) => r.map(sanitizeInline));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const format = (cells) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [format(headers), ...rows.map(format)].join("\n");
}
function formatTime(iso) {
  if (!iso) return "-";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace("T", " ")}Z`;
}
function onOff(enabled) {
  if (enabled === void 0) return "-";
  return enabled ? "on" : "off";
}
function formatDuration(seconds) {
  if (seconds === 0) return "0s";
  const parts = [];
  let rest = seconds;
  for (const [unit, size] of [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
    ["s", 1]
  ]) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join("");
}
function describeCondition(c) {
  const values = c.values.length > 5 ? `${c.values.slice(0, 5).join(", ")}, ... (${c.values.length} values)` : c.values.join(", ");
  return `${c.attribute} ${c.inverted ? "NOT " : ""}${c.operator} ${values}${c.caseInsensitive ? " (any case)" : ""}`;
}
function describeVariants(variants) {
  return variants.map((v) => `${v.name}=${v.weight}`).join(", ");
}
function describeRule(rule) {
  const who = [];
  if (rule.segments?.length) who.push(`segment ${rule.segments.join(", ")}`);
  for (const c of rule.conditions ?? []) who.push(describeCondition(c));
  let text = who.length > 0 ? who.join(" AND ") : "everyone";
  if (rule.rollout) {
    text += ` -> ${rule.rollout.percentage}%`;
    if (rule.rollout.stickiness) text += ` by ${rule.rollout.stickiness}`;
  } else {
    text += " -> 100%";
  }
  if (rule.variants?.length) text += `; variants ${describeVariants(rule.variants)}`;
  if (rule.description) text += `  # ${rule.description}`;
  return sanitizeInline(text);
}
function describeDetails(details) {
  return detailLines(details).map(sanitizeInline);
}
function detailLines(details) {
  if (details === void 0 || details === null) return [];
  if (Array.isArray(details)) {
    return details.map((d) => {
      if (d && typeof d === "object") {
        const { path, message, code } = d;
        if (typeof message === "string") {
          const where = typeof path === "string" && path !== "" ? `${path}: ` : "";
          return `${where}${message}${typeof code === "string" ? ` (${code})` : ""}`;
        }
      }
      return JSON.stringify(d);
    });
  }
  if (typeof details === "object") {
    return Object.entries(details).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  }
  return [String(details)];
}

// src/cli/pages.ts
var PAGE = 500;
async function allPages(client, path, field, query = {}) {
  const items = [];
  let cursor;
  for (; ; ) {
    const page = await client.get(path, {
      query: { ...query, limit: PAGE, cursor }
    });
    items.push(...page[field] ?? []);
    if (!page.nextCursor) return items;
    cursor = page.nextCursor;
  }
}

// src/cli/commands/config-change.ts
function readConfig(ctx, key, env) {
  return ctx.client.get(apiPath`/api/admin/flags/${key}/environments/${env}`);
}
async function changeConfig(ctx, key, env, change) {
  const retries = ctx.opts.retry ? 1 : 0;
  for (let attempt = 0; ; attempt++) {
    const current = await readConfig(ctx, key, env);
    const patch = change(current);
    if (patch === null) return { view: current, changed: false };
    try {
      const view = await ctx.client.patch(
        apiPath`/api/admin/flags/${key}/environments/${env}`,
        patch,
        current.version
      );
      return { view, changed: true };
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 412) throw err;
      const now = err.details?.currentVersion;
      const nowText = typeof now === "number" ? `version ${now}` : "a newer version";
      if (attempt < retries) {
        ctx.out.note(
          `${key} in ${env} changed while it was being edited (read version ${current.version}, now ${nowText}); reading it again and retrying once`
        );
        continue;
      }
      throw new CliError(
        `${key} in ${env} was changed by someone else after it was read (read version ${current.version}, now ${nowText}); nothing was written. ` + (retries > 0 ? "It changed again on the retry; check the flag and run again" : "Check the change and run again, or pass --retry to re-read and retry once"),
        err.code
      );
    }
  }
}

// src/cli/commands/flags.ts
function allFlags(ctx, filter) {
  return allPages(ctx.client, "/api/admin/flags", "flags", filter);
}
async function environments(ctx) {
  return (await ctx.client.get("/api/admin/environments")).environments;
}
function checkEnvironment(known, env) {
  if (env !== void 0 && !known.some((e) => e.key === env)) {
    throw new CliError(`Environment ${env} not found (there are: ${known.map((e) => e.key).join(", ")})`, "NOT_FOUND");
  }
}
function order(known, key) {
  const i = known.findIndex((e) => e.key === key);
  return i === -1 ? known.length : i;
}
function lastChanged(flag, envs) {
  const times = [flag.updatedAt, ...envs.map((e) => flag.environments[e]?.updatedAt)].filter((t) => t !== void 0);
  return times.sort().at(-1) ?? flag.updatedAt;
}
async function list(ctx) {
  const env = ctx.opts.env;
  const [flags, known] = await Promise.all([allFlags(ctx, { tag: ctx.opts.tag, q: ctx.opts.search }), environments(ctx)]);
  checkEnvironment(known, env);
  if (ctx.json) {
    ctx.out.json({ flags, total: flags.length });
    return;
  }
  if (flags.length === 0) {
    ctx.out.line("No flags.");
    return;
  }
  const shown = env !== void 0 ? [env] : known.map((e) => e.key);
  ctx.out.line(
    table(
      ["KEY", "NAME", ...shown.map((e) => e.toUpperCase()), "LAST CHANGED"],
      flags.map((f) => [f.key, f.name, ...shown.map((e) => onOff(f.environments[e]?.enabled)), formatTime(lastChanged(f, shown))])
    )
  );
}
function printConfig(ctx, config) {
  ctx.out.line(`${config.environment}: ${onOff(config.enabled)}, version ${config.version}, changed ${formatTime(config.updatedAt)}`);
  if (config.rules.length === 0) {
    ctx.out.line(config.enabled ? "  no rules: on for everyone" : "  no rules");
  } else {
    ctx.out.line("  rules (the first that matches decides; no match is off):");
    config.rules.forEach((r, i) => {
      ctx.out.line(`  ${i + 1}. ${r.id}  ${describeRule(r)}`);
    });
  }
  if (config.variants.length > 0) ctx.out.line(`  variants: ${describeVariants(config.variants)}`);
  for (const d of config.dependencies) {
    const wants = d.variants?.length ? `variant ${d.variants.join(", ")}` : d.enabled === false ? "off" : "on";
    ctx.out.line(`  requires ${d.flag} ${wants}`);
  }
}
async function show(ctx) {
  const [key = ""] = ctx.args;
  const env = ctx.opts.env;
  const flag = await ctx.client.get(apiPath`/api/admin/flags/${key}`);
  const known = await environments(ctx);
  checkEnvironment(known, env);
  const config = env !== void 0 ? await readConfig(ctx, key, env) : null;
  if (ctx.json) {
    ctx.out.json({ flag, environment: config });
    return;
  }
  ctx.out.line(`${flag.key}  ${flag.name}${flag.archived ? "  (archived)" : ""}`);
  if (flag.description) ctx.out.line(`  ${flag.description}`);
  ctx.out.line(
    `  kind ${flag.kind}; tags ${flag.tags.length > 0 ? flag.tags.join(", ") : "-"}; ${flag.clientVisible ? "visible to client SDKs" : "server SDKs only"}; version ${flag.version}`
  );
  ctx.out.line();
  ctx.out.line(
    table(
      ["ENVIRONMENT", "STATE", "RULES", "VERSION", "LAST CHANGED", "LAST EVALUATED"],
      Object.entries(flag.environments).sort(([a], [b]) => order(known, a) - order(known, b)).map(([name, e]) => [
        name,
        onOff(e.enabled),
        String(e.ruleCount),
        String(e.version),
        formatTime(e.updatedAt),
        e.lastEvaluatedAt ? formatTime(e.lastEvaluatedAt) : "never"
      ])
    )
  );
  if (config) {
    ctx.out.line();
    printConfig(ctx, config);
  }
}
function setEnabled(enabled) {
  return async (ctx) => {
    const [key = ""] = ctx.args;
    const env = requireEnv(ctx);
    const { view, changed } = await changeConfig(ctx, key, env, (current) => current.enabled === enabled ? null : { enabled });
    if (ctx.json) ctx.out.json(view);
    else if (changed) ctx.out.line(`${key} is now ${onOff(enabled)} in ${env} (version ${view.version})`);
    else ctx.out.line(`${key} was already ${onOff(enabled)} in ${env} (version ${view.version}); nothing changed`);
  };
}
async function rollout(ctx) {
  const [key = ""] = ctx.args;
  const env = requireEnv(ctx);
  const percentage = numberOption("percentage", requireOption(ctx, "percentage"), 0, 100, ctx.usage);
  const ruleId = ctx.opts.rule;
  const stickiness = ctx.opts.stickiness;
  let target = ruleId;
  const { view, changed } = await changeConfig(ctx, key, env, (current) => {
    const rules = current.rules;
    if (ruleId === void 0) {
      if (rules.length > 0) {
        throw new UsageError(
          `${key} has rules in ${env}; name the one to change with --rule (${rules.map((r) => r.id).join(", ")})`,
          ctx.usage
        );
      }
      const created = stickiness !== void 0 ? { percentage, stickiness } : { percentage };
      return { rules: [{ rollout: created }] };
    }
    const rule = rules.find((r) => r.id === ruleId);
    if (!rule) {
      const ids = rules.length > 0 ? `its rules: ${rules.map((r) => r.id).join(", ")}` : "it has no rules";
      throw new CliError(`${key} has no rule ${ruleId} in ${env} (${ids})`, "NOT_FOUND");
    }
    const next = { ...rule.rollout, percentage };
    if (stickiness !== void 0) next.stickiness = stickiness;
    if (rule.rollout && rule.rollout.percentage === next.percentage && rule.rollout.stickiness === next.stickiness) return null;
    return { rules: rules.map((r) => r.id === ruleId ? { ...r, rollout: next } : r) };
  });
  if (target === void 0) target = view.rules[0]?.id;
  if (ctx.json) ctx.out.json(view);
  else if (changed) ctx.out.line(`${key} in ${env}: rule ${target} now rolls out to ${percentage}% (version ${view.version})`);
  else ctx.out.line(`${key} in ${env}: rule ${target} already rolls out to ${percentage}% (version ${view.version}); nothing changed`);
}
var flagCommands = [
  {
    words: ["flags", "list"],
    args: [],
    synopsis: "[-e ENV] [--tag TAG] [--search TEXT] [--json]",
    summary: "Lists active flags: key, name, on/off in each environment (or only ENV), last change.",
    options: ["env", "tag", "search"],
    run: list
  },
  {
    words: ["flags", "show"],
    args: ["KEY"],
    synopsis: "KEY [-e ENV] [--json]",
    summary: "Shows a flag and its state per environment; with -e, also the rules in that environment.",
    options: ["env"],
    run: show
  },
  {
    words: ["flags", "enable"],
    args: ["KEY"],
    synopsis: "KEY -e ENV [--retry] [--json]",
    summary: "Turns the flag on in ENV (nothing is written when it already is on).",
    options: ["env", "retry"],
    run: setEnabled(true)
  },
  {
    words: ["flags", "disable"],
    args: ["KEY"],
    synopsis: "KEY -e ENV [--retry] [--json]",
    summary: "Turns the flag off in ENV (nothing is written when it already is off).",
    options: ["env", "retry"],
    run: setEnabled(false)
  },
  {
    words: ["flags", "rollout"],
    args: ["KEY"],
    synopsis: "KEY -e ENV [--rule RULE_ID] --percentage P [--stickiness ATTR] [--retry] [--json]",
    summary: "Sets one rule's rollout percentage (0-100) in ENV; the other rules stay as they are. Without --rule,\na flag with no rules gets one rule rolling out to P% of everyone.",
    options: ["env", "rule", "percentage", "stickiness", "retry"],
    run: rollout
  }
];

// src/cli/commands/ramps.ts
function parseSteps(text, usage) {
  return text.split(",").map((part, i) => {
    const m = /^\s*([^:\s]+)\s*:\s*(\S+)\s*$/.exec(part);
    const percentage = m ? Number(m[1]) : Number.NaN;
    const holdSeconds = m?.[2] !== void 0 ? parseDuration(m[2]) : void 0;
    if (!m || !Number.isFinite(percentage) || percentage <= 0 || percentage > 100 || holdSeconds === void 0) {
      throw new UsageError(
        `--steps: step ${i + 1} (${JSON.stringify(part)}) is not PERCENT:HOLD, e.g. 5:60 or 5:10m (a percentage above 0 and at most 100)`,
        usage
      );
    }
    return { percentage, holdSeconds };
  });
}
function parseGuard(text, usage) {
  const parts = text.split(":");
  const action = parts.pop();
  const threshold = Number(parts.pop());
  const comparator = parts.pop();
  const metric = parts.join(":");
  if (metric === "" || comparator !== "gt" && comparator !== "lt" || !Number.isFinite(threshold) || action !== "pause" && action !== "rollback") {
    throw new UsageError(
      `--guard must be METRIC:gt|lt:THRESHOLD:pause|rollback, e.g. error_rate:gt:0.05:rollback, not ${JSON.stringify(text)}`,
      usage
    );
  }
  return { metric, comparator, threshold, action };
}
function stepText(ramp) {
  const step = ramp.steps[ramp.currentStep];
  return step ? `${ramp.currentStep + 1}/${ramp.steps.length} (${step.percentage}%)` : `0/${ramp.steps.length}`;
}
function printRamp(ctx, ramp) {
  ctx.out.line(`ramp ${ramp.id}: ${ramp.state}`);
  ctx.out.line(`  ${ramp.flag} in ${ramp.environment}, rule ${ramp.ruleId}; step ${stepText(ramp)}`);
  ctx.out.line(`  steps: ${ramp.steps.map((s) => `${s.percentage}% for ${formatDuration(s.holdSeconds)}`).join(", ")}`);
  if (ramp.guard) {
    const g = ramp.guard;
    ctx.out.line(`  guard: ${g.action} when ${g.metric} ${g.comparator === "gt" ? ">" : "<"} ${g.threshold}`);
  }
  if (ramp.nextStepAt) ctx.out.line(`  next step at ${formatTime(ramp.nextStepAt)}`);
  if (ramp.reason) ctx.out.line(`  reason: ${ramp.reason}`);
}
function report(ctx, ramp) {
  if (ctx.json) ctx.out.json(ramp);
  else printRamp(ctx, ramp);
}
async function start(ctx) {
  const [flag = ""] = ctx.args;
  const environment = requireEnv(ctx);
  const ruleId = requireOption(ctx, "rule");
  const steps = parseSteps(requireOption(ctx, "steps"), ctx.usage);
  const guard = ctx.opts.guard !== void 0 ? parseGuard(ctx.opts.guard, ctx.usage) : void 0;
  const plan = await ctx.client.post("/api/admin/ramps", { flag, environment, ruleId, steps, ...guard ? { guard } : {} });
  let started;
  try {
    started = await ctx.client.post(apiPath`/api/admin/ramps/${plan.id}/start`);
  } catch (err) {
    if (err instanceof ApiError) {
      throw new CliError(`ramp ${plan.id} was created but did not start: ${err.message}`, err.code, err.details);
    }
    throw err;
  }
  report(ctx, started);
}
async function list2(ctx) {
  const ramps = await allPages(ctx.client, "/api/admin/ramps", "ramps", { flag: ctx.opts.flag, environment: ctx.opts.env });
  if (ctx.json) {
    ctx.out.json({ ramps });
    return;
  }
  if (ramps.length === 0) {
    ctx.out.line("No ramps.");
    return;
  }
  ctx.out.line(
    table(
      ["ID", "FLAG", "ENVIRONMENT", "RULE", "STATE", "STEP", "NEXT STEP"],
      ramps.map((r) => [r.id, r.flag, r.environment, r.ruleId, r.state, stepText(r), formatTime(r.nextStepAt)])
    )
  );
}
function transition(verb) {
  return async (ctx) => {
    const [id = ""] = ctx.args;
    report(ctx, await ctx.client.post(apiPath`/api/admin/ramps/${id}/${verb}`));
  };
}
async function abort(ctx) {
  const [id = ""] = ctx.args;
  const to = ctx.opts.to;
  if (to !== void 0 && to !== "previous" && to !== "zero") {
    throw new UsageError(`--to is previous (the percentage before the ramp) or zero, not ${JSON.stringify(to)}`, ctx.usage);
  }
  report(ctx, await ctx.client.post(apiPath`/api/admin/ramps/${id}/abort`, to !== void 0 ? { to } : {}));
}
var rampCommands = [
  {
    words: ["ramps", "start"],
    args: ["KEY"],
    synopsis: "KEY -e ENV --rule RULE_ID --steps P:HOLD,... [--guard METRIC:gt|lt:THRESHOLD:pause|rollback] [--json]",
    summary: "Creates a ramp of one rule's rollout and starts it: e.g. --steps 1:1h,5:1h,25:0 holds 1% for an hour,\nthen 5% for an hour, then stays at 25%. Holds are seconds, or with a unit (s, m, h, d).\nA guard pauses or rolls the ramp back when a reported metric crosses the threshold.",
    options: ["env", "rule", "steps", "guard"],
    run: start
  },
  {
    words: ["ramps", "list"],
    args: [],
    synopsis: "[--flag KEY] [-e ENV] [--json]",
    summary: "Lists ramps, optionally of one flag or environment.",
    options: ["flag", "env"],
    run: list2
  },
  {
    words: ["ramps", "pause"],
    args: ["ID"],
    synopsis: "ID [--json]",
    summary: "Pauses a running ramp at its current step.",
    options: [],
    run: transition("pause")
  },
  {
    words: ["ramps", "resume"],
    args: ["ID"],
    synopsis: "ID [--json]",
    summary: "Resumes a paused ramp.",
    options: [],
    run: transition("resume")
  },
  {
    words: ["ramps", "abort"],
    args: ["ID"],
    synopsis: "ID [--to previous|zero] [--json]",
    summary: "Stops a ramp and sets the rule's rollout back to what it was before (previous, the default) or to 0%.",
    options: ["to"],
    run: abort
  }
];

// src/cli/commands/files.ts
import { readFile, writeFile } from "node:fs/promises";
async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}
async function readJsonFile(file) {
  let text;
  try {
    text = file === "-" ? await readStdin() : await readFile(file, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${err.message}`, "FILE_UNREADABLE");
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file === "-" ? "stdin" : file} is not JSON: ${err.message}`, "INVALID_JSON");
  }
}
async function writeJsonFile(file, value) {
  try {
    await writeFile(file, `${JSON.stringify(value, null, 2)}
`);
  } catch (err) {
    throw new CliError(`cannot write ${file}: ${err.message}`, "FILE_UNWRITABLE");
  }
}

// src/cli/commands/schedules.ts
var ZONED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/i;
function parseAt(text, usage) {
  const time = new Date(text);
  if (!ZONED_TIME.test(text) || Number.isNaN(time.getTime())) {
    throw new UsageError(
      `--at must be an ISO 8601 time with a zone, e.g. 2030-01-31T09:00:00Z or 2030-01-31T10:00+01:00, not ${JSON.stringify(text)}`,
      usage
    );
  }
  return time.toISOString();
}
function rulesOf(value, file, usage) {
  if (Array.isArray(value)) return value;
  const rules = value?.rules;
  if (Array.isArray(rules)) return rules;
  throw new UsageError(`${file} holds neither a JSON array of rules nor an object with a "rules" array`, usage);
}
function describePatch(patch) {
  const parts = [];
  if (patch.enabled !== void 0) parts.push(patch.enabled ? "enable" : "disable");
  if (patch.rules !== void 0) parts.push(`set ${patch.rules.length} rule${patch.rules.length === 1 ? "" : "s"}`);
  for (const k of Object.keys(patch)) if (k !== "enabled" && k !== "rules") parts.push(`set ${k}`);
  return parts.join(", ");
}
async function create(ctx) {
  const [key = ""] = ctx.args;
  const env = requireEnv(ctx);
  const at = parseAt(requireOption(ctx, "at"), ctx.usage);
  const { enable, disable } = ctx.opts;
  const rulesFile = ctx.opts["rules-file"];
  if (enable && disable) throw new UsageError("--enable and --disable exclude each other", ctx.usage);
  if (!enable && !disable && rulesFile === void 0)
    throw new UsageError("say what to change: --enable, --disable or --rules-file", ctx.usage);
  const patch = {};
  if (enable || disable) patch.enabled = enable === true;
  if (rulesFile !== void 0) patch.rules = rulesOf(await readJsonFile(rulesFile), rulesFile, ctx.usage);
  const created = await ctx.client.post(apiPath`/api/admin/flags/${key}/environments/${env}/schedule`, { at, patch });
  if (ctx.json) ctx.out.json(created);
  else
    ctx.out.line(
      `scheduled ${created.id}: ${describePatch(created.patch)} ${created.flag} in ${created.environment} at ${formatTime(created.runAt)}`
    );
}
async function list3(ctx) {
  const schedules = await allPages(ctx.client, "/api/admin/schedules", "schedules", {
    flag: ctx.opts.flag,
    environment: ctx.opts.env
  });
  if (ctx.json) {
    ctx.out.json({ schedules });
    return;
  }
  if (schedules.length === 0) {
    ctx.out.line("No scheduled changes.");
    return;
  }
  ctx.out.line(
    table(
      ["ID", "FLAG", "ENVIRONMENT", "AT", "CHANGE", "STATE"],
      schedules.map((s) => [
        s.id,
        s.flag,
        s.environment,
        formatTime(s.runAt),
        describePatch(s.patch),
        s.error ? `${s.state}: ${s.error}` : s.state
      ])
    )
  );
}
async function cancel(ctx) {
  const [id = ""] = ctx.args;
  const cancelled = await ctx.client.delete(apiPath`/api/admin/schedules/${id}`);
  if (ctx.json) ctx.out.json(cancelled);
  else
    ctx.out.line(
      `cancelled ${cancelled.id}: ${describePatch(cancelled.patch)} ${cancelled.flag} in ${cancelled.environment} at ${formatTime(cancelled.runAt)}`
    );
}
var scheduleCommands = [
  {
    words: ["schedule"],
    args: ["KEY"],
    synopsis: "KEY -e ENV --at TIME (--enable | --disable | --rules-file FILE) [--json]",
    summary: 'Schedules a change of the flag in ENV at TIME (ISO 8601 with a zone, e.g. 2030-01-31T09:00:00Z).\nFILE is JSON: an array of rules, or an object with a "rules" array (as `flags show -e ENV --json` prints under "environment").',
    options: ["env", "at", "enable", "disable", "rules-file"],
    run: create
  },
  {
    words: ["schedules", "list"],
    args: [],
    synopsis: "[--flag KEY] [-e ENV] [--json]",
    summary: "Lists scheduled changes: pending, applied, cancelled and failed.",
    options: ["flag", "env"],
    run: list3
  },
  {
    words: ["schedules", "cancel"],
    args: ["ID"],
    synopsis: "ID [--json]",
    summary: "Cancels a pending scheduled change.",
    options: [],
    run: cancel
  }
];

// src/cli/commands/transfer.ts
function count(n, noun) {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
function isDocument(value) {
  const doc = value;
  return typeof doc === "object" && doc !== null && Array.isArray(doc.flags) && Array.isArray(doc.segments);
}
async function exportCommand(ctx) {
  const env = ctx.opts.env;
  const doc = await ctx.client.get("/api/admin/export", { query: { environment: env } });
  const file = ctx.opts.output;
  if (file === void 0 || file === "-") {
    ctx.out.json(doc);
    return;
  }
  await writeJsonFile(file, doc);
  const summary = { file, flags: doc.flags.length, segments: doc.segments.length, environment: env ?? null };
  if (ctx.json) ctx.out.json(summary);
  else
    ctx.out.line(
      `exported ${count(doc.flags.length, "flag")} and ${count(doc.segments.length, "segment")}${env ? ` (${env} only)` : ""} to ${file}`
    );
}
function retarget(doc, from, to) {
  return {
    ...doc,
    flags: doc.flags.map((f) => ({ ...f, environments: from in f.environments ? { [to]: f.environments[from] } : {} }))
  };
}
function environmentsIn(doc) {
  return [...new Set(doc.flags.flatMap((f) => Object.keys(f.environments)))].sort();
}
function names(label, n, dryRun) {
  const lines = [];
  if (n.created.length > 0) lines.push(`${label} ${dryRun ? "to create" : "created"} (${n.created.length}): ${n.created.join(", ")}`);
  if (n.updated.length > 0) lines.push(`${label} ${dryRun ? "to update" : "updated"} (${n.updated.length}): ${n.updated.join(", ")}`);
  return lines;
}
async function importCommand(ctx) {
  const [file = ""] = ctx.args;
  const from = ctx.opts["from-env"];
  const env = from !== void 0 ? requireEnv(ctx) : ctx.opts.env;
  const read = await readJsonFile(file);
  if (!isDocument(read)) throw new CliError(`${file} is not a Switchboard export (no "flags" and "segments" lists)`, "NOT_AN_EXPORT");
  let doc = read;
  if (from !== void 0 && env !== void 0) {
    if (!environmentsIn(doc).includes(from)) {
      throw new UsageError(`${file} has no configuration for ${from} (it has: ${environmentsIn(doc).join(", ") || "none"})`, ctx.usage);
    }
    doc = retarget(doc, from, env);
  } else if (env !== void 0 && doc.flags.length > 0 && !environmentsIn(doc).includes(env)) {
    const has = environmentsIn(doc);
    throw new UsageError(
      `${file} has no configuration for ${env} (it has: ${has.join(", ") || "none"})${has.length > 0 ? `; to apply ${has[0]}'s to ${env}, add --from-env ${has[0]}` : ""}`,
      ctx.usage
    );
  }
  const dryRun = ctx.opts["dry-run"] === true;
  const report2 = await ctx.client.post("/api/admin/import", {
    document: doc,
    ...env !== void 0 ? { environment: env } : {},
    dryRun
  });
  if (ctx.json) {
    ctx.out.json(report2);
    return;
  }
  const lines = [...names("flags", report2.flags, report2.dryRun), ...names("segments", report2.segments, report2.dryRun)];
  ctx.out.line(report2.dryRun ? `dry run: nothing was changed` : `imported ${file === "-" ? "stdin" : file}`);
  for (const l of lines.length > 0 ? lines : ["nothing to import"]) ctx.out.line(`  ${l}`);
  if (report2.environments.length > 0) ctx.out.line(`  environments: ${report2.environments.join(", ")}`);
  if (report2.skippedEnvironments.length > 0) {
    ctx.out.line(`  skipped (no such environment here): ${report2.skippedEnvironments.join(", ")}`);
  }
}
var transferCommands = [
  {
    words: ["export"],
    args: [],
    synopsis: "[-e ENV] [-o FILE] [--json]",
    summary: "Writes active flags (their configuration in every environment, or only ENV) and segments as JSON,\nto stdout or FILE.",
    options: ["env", "output"],
    run: exportCommand
  },
  {
    words: ["import"],
    args: ["FILE"],
    synopsis: "FILE|- [-e ENV [--from-env SRC]] [--dry-run] [--json]",
    summary: "Creates or updates the flags and segments of an export (FILE, or - for stdin) in one transaction.\nWith -e, only ENV's configuration is applied; --from-env SRC applies the file's SRC configuration to ENV\n(e.g. promote an export of staging to production). --dry-run checks everything and reports, changing nothing.",
    options: ["env", "from-env", "dry-run"],
    run: importCommand
  }
];

// src/cli/commands/index.ts
var COMMANDS = [...flagCommands, ...rampCommands, ...scheduleCommands, ...transferCommands];

// src/cli/main.ts
var DEFAULT_URL = "http://127.0.0.1:4242";
var TIMEOUT_MS = 6e4;
function overview() {
  const width = Math.max(...COMMANDS.map((c) => c.words.join(" ").length));
  const lines = COMMANDS.map((c) => `  ${c.words.join(" ").padEnd(width)}  ${c.synopsis}`);
  return [
    "usage: switchboard <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Options for every command:",
    `  --url URL      the server (default: $SWITCHBOARD_URL, else ${DEFAULT_URL})`,
    "  --token TOKEN  an API token (default: $SWITCHBOARD_TOKEN; prefer the variable, command lines are visible to others)",
    "  --json         print JSON for scripts instead of text",
    "  -h, --help     help for a command: switchboard flags rollout --help",
    "",
    "Exit codes: 0 done; 1 the server refused (message and code on stderr); 2 the server could not be",
    "reached; 64 the command line is wrong."
  ].join("\n");
}
function groupUsage(group) {
  const specs = COMMANDS.filter((c) => c.words[0] === group);
  return ["usage:", ...specs.map((c) => `  switchboard ${c.words.join(" ")} ${c.synopsis}`)].join("\n");
}
function findCommand(positionals) {
  return [...COMMANDS].sort((a, b) => b.words.length - a.words.length).find((c) => c.words.every((w, i) => positionals[i] === w));
}
function baseUrl(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(raw)} is not a URL (e.g. https://flags.example.com)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--url must be http or https, not ${url.protocol}`);
  return url;
}
async function run(argv, out, env) {
  const { values, positionals } = parseCommandLine(argv, (words2) => {
    const spec2 = findCommand(words2);
    return spec2 ? usageOf(spec2) : void 0;
  });
  if (values.version) {
    out.line(version);
    return;
  }
  const wantsHelp = values.help === true || positionals[0] === "help";
  const words = positionals[0] === "help" ? positionals.slice(1) : positionals;
  const spec = findCommand(words);
  if (!spec) {
    const group = words[0] !== void 0 && COMMANDS.some((c) => c.words.length > 1 && c.words[0] === words[0]) ? words[0] : void 0;
    if (wantsHelp) {
      out.line(group ? groupUsage(group) : overview());
      return;
    }
    if (words.length === 0) throw new UsageError("no command given");
    if (group && words.length === 1) throw new UsageError(`${group} needs a subcommand`, groupUsage(group));
    if (group) throw new UsageError(`unknown command: ${words.slice(0, 2).join(" ")}`, groupUsage(group));
    throw new UsageError(`unknown command: ${words[0]}`);
  }
  const usage = usageOf(spec);
  if (wantsHelp) {
    out.line(usage);
    return;
  }
  const allowed = /* @__PURE__ */ new Set([...GLOBAL_OPTIONS, ...spec.options]);
  for (const name of Object.keys(values)) {
    if (!allowed.has(name)) throw new UsageError(`${optionLabel(name)} does not apply to ${spec.words.join(" ")}`, usage);
  }
  const args = words.slice(spec.words.length);
  if (args.length < spec.args.length) throw new UsageError(`missing ${spec.args.slice(args.length).join(" ")}`, usage);
  if (args.length > spec.args.length) throw new UsageError(`unexpected argument: ${args[spec.args.length]}`, usage);
  if (args.some((a) => a === "")) throw new UsageError(`${spec.args.join(" ")} must not be empty`, usage);
  const token = values.token ?? (env.SWITCHBOARD_TOKEN || void 0);
  const client = new ApiClient({
    baseUrl: baseUrl(values.url ?? (env.SWITCHBOARD_URL || DEFAULT_URL)),
    token,
    timeoutMs: TIMEOUT_MS,
    userAgent: `switchboard-cli/${version} node/${process.versions.node}`
  });
  await spec.run({ client, out, opts: values, args, json: values.json === true, usage });
}
async function main(argv, out = processOutput(), env = process.env) {
  try {
    await run(argv, out, env);
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof UsageError) {
      out.note(`error: ${err.message}

${err.usage ?? overview()}`);
      return ExitCode.Usage;
    }
    if (err instanceof NetworkError) {
      out.note(`error: ${err.message}`);
      return ExitCode.Unreachable;
    }
    if (err instanceof CliError) {
      const lines = [`error: ${err.message} (${err.code})`, ...describeDetails(err.details).map((d) => `  ${d}`)];
      if (err instanceof ApiError && err.status === 401) {
        lines.push(
          env.SWITCHBOARD_TOKEN || argv.some((a) => a === "--token" || a.startsWith("--token=")) ? "hint: the token was refused; it may be mistyped or revoked" : "hint: pass an API token with --token or SWITCHBOARD_TOKEN"
        );
      }
      out.note(lines.join("\n"));
      return ExitCode.Failed;
    }
    out.note(`error: unexpected failure, please report it: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    return ExitCode.Failed;
  }
}
process.exitCode = await main(process.argv.slice(2));
export {
  main
};
