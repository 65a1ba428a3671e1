import { parseArgs } from "node:util";
import type { KongConfig } from "../kong/types.ts";
import { encodeConfig } from "../kong/encode.ts";
import {
  DEFAULT_KONG_VALIDATION_OPTIONS,
  describeProblems,
  validateDeclarativeConfig,
  type KongValidationError,
  type RouterFlavor,
} from "../kong/validate/index.ts";
import { scrubText, secretValues } from "../kong/redact.ts";
import { EXIT_OK, EXIT_PROBLEMS, UsageError, type CliContext, type Command } from "./command.ts";
import {
  COMMON_OPTIONS,
  COMMON_OPTIONS_HELP,
  commonArgs,
  loadAndTranslate,
  offlineKongPlugins,
  writeLines,
} from "./offline.ts";

const ROUTER_FLAVORS: readonly RouterFlavor[] = [
  "traditional",
  "traditional_compatible",
  "expressions",
];

const HELP = `Usage: kongress validate -f PATH [-f PATH ...] [--ingress-class NAME] [--router-flavor FLAVOR]

Translates Kubernetes manifests as \`kongress translate\` does, then checks the resulting configuration
with the rules Kong's Admin API applies to POST /config, so a CI pipeline can reject manifests before
Kong does. Kong's problems are reported in Kong's own words.

Options:
${COMMON_OPTIONS_HELP}
      --router-flavor FLAVOR  Kong's router_flavor: ${ROUTER_FLAVORS.join(", ")}
                            (default: ${DEFAULT_KONG_VALIDATION_OPTIONS.routerFlavor}); the manifests are
                            translated for it (expressions: expression routes, checked as Kong's
                            router parses them).
  -h, --help                Show this help.

Every problem, from translation or from Kong's rules, is one line on stderr. When there is none, a
one-line summary is printed on stdout. A plugin Kong does not bundle is taken to be installed in Kong;
its config is not checked, which a note on stderr says (not a problem: the exit status stays 0).

Exit status:
  0  clean: every object translated and Kong would accept the configuration
  1  some problem; one line per problem on stderr
  2  usage, file or parse error (the message names the file and, for YAML, the line)
`;

function isRouterFlavor(value: string): value is RouterFlavor {
  return (ROUTER_FLAVORS as readonly string[]).includes(value);
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function summary(config: KongConfig): string {
  const services = config.services ?? [];
  const routes = services.reduce((sum, s) => sum + (s.routes?.length ?? 0), 0);
  const upstreams = config.upstreams ?? [];
  const targets = upstreams.reduce((sum, u) => sum + (u.targets?.length ?? 0), 0);
  return `valid: ${[
    count(services.length, "service"),
    count(routes, "route"),
    count(upstreams.length, "upstream"),
    count(targets, "target"),
    count(config.certificates?.length ?? 0, "certificate"),
  ].join(", ")}`;
}

/** Never an empty list for a rejected config, so a rejection can never exit 0. */
function kongLines(error: KongValidationError): string[] {
  const lines = describeProblems(error);
  return lines.length > 0 ? lines : [error.message];
}

async function run(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { ...COMMON_OPTIONS, "router-flavor": { type: "string" } },
    strict: true,
    allowPositionals: false,
  });
  const routerFlavor = values["router-flavor"] ?? DEFAULT_KONG_VALIDATION_OPTIONS.routerFlavor;
  if (!isRouterFlavor(routerFlavor))
    throw new UsageError(
      `--router-flavor ${JSON.stringify(routerFlavor)}: expected one of ${ROUTER_FLAVORS.join(", ")}`,
    );
  // Translated for the same router: an expressions Kong gets expression routes.
  const now = ctx.now();
  const common = { ...commonArgs(values), routerFlavor, now };
  const { result, notes, problems } = await loadAndTranslate(common, ctx.cwd);
  // Checked as Kong gets it, parsed from the body: the translator's config may hand one object to two
  // entities (an upstream's targets are shared by the Kong services of one Service port), which JSON
  // writes out twice and Kong reads as two.
  const sent: unknown = JSON.parse(encodeConfig(result.config).body);
  const checked = validateDeclarativeConfig(sent, {
    ...DEFAULT_KONG_VALIDATION_OPTIONS,
    enabledPlugins: offlineKongPlugins(result.config),
    routerFlavor,
    now,
  });
  const kongProblems = checked.ok ? [] : kongLines(checked.error);
  // Kong's messages may quote a credential (`... key set to '<key>' already declared`).
  const secrets = secretValues(result.config);
  writeLines(
    ctx.stderr,
    [...notes, ...problems, ...kongProblems].map(line => scrubText(line, secrets)),
  );
  if (problems.length > 0 || kongProblems.length > 0) return EXIT_PROBLEMS;
  ctx.stdout.write(`${summary(result.config)}\n`);
  return EXIT_OK;
}

/** `kongress validate`: translate, then apply Kong's own declarative-config rules. */
export const validateCommand: Command = {
  name: "validate",
  summary: "Translate manifests and check the result with Kong's declarative-config rules.",
  help: () => HELP,
  run,
};
